import mongoose, { type Connection } from "mongoose";
import type { Logger } from "pino";
import { DomainError, unavailable } from "./errors.js";

export type { Connection } from "mongoose";

export interface MongoOptions {
  logger: Logger;
  serverSelectionTimeoutMs?: number;
}

/**
 * A connection of its own (not mongoose's global one) that fails fast while the server is
 * down: no command buffering, a short server selection timeout. The driver reconnects by itself.
 */
export async function connectMongo(url: string, options: MongoOptions): Promise<Connection> {
  const connection = mongoose.createConnection(url, {
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 2_000,
    bufferCommands: false,
    autoIndex: true,
  });
  const logger = options.logger.child({ mongo: new URL(url).host });
  connection.on("disconnected", () => logger.warn("MongoDB disconnected"));
  connection.on("reconnected", () => logger.info("MongoDB reconnected"));
  connection.on("error", (error: unknown) => logger.error({ err: error }, "MongoDB connection error"));
  await guardMongo(() => connection.asPromise());
  return connection;
}

export async function pingMongo(connection: Connection): Promise<void> {
  await guardMongo(async () => {
    const db = connection.db;
    if (!db) throw new mongoose.Error("not connected to MongoDB");
    await db.command({ ping: 1 });
  });
}

const UNAVAILABLE_ERROR_NAMES = new Set([
  "MongoServerSelectionError",
  "MongooseServerSelectionError",
  "MongoNetworkError",
  "MongoNetworkTimeoutError",
  "MongoNotConnectedError",
  "MongoTopologyClosedError",
  "MongoPoolClearedError",
]);
// ShutdownInProgress, InterruptedAtShutdown, NotWritablePrimary, PrimarySteppedDown, ...
const UNAVAILABLE_CODES = new Set([91, 189, 10107, 11600, 11602, 13435, 13436]);
// The driver (7.x) lets a raw socket error through when it writes to a connection the server
// has just closed ("This socket has been ended by the other party", EPIPE).
const NETWORK_CODES = new Set(["EPIPE", "ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH"]);

/** True when the error means "MongoDB cannot be reached", not "the operation was wrong". */
export function isMongoUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (UNAVAILABLE_ERROR_NAMES.has(current.name)) return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === "number" && UNAVAILABLE_CODES.has(code)) return true;
    if (typeof code === "string" && NETWORK_CODES.has(code)) return true;
    // mongoose, with bufferCommands off, before the first connection completed
    if (current.message.includes("before initial connection is complete")) return true;
    if (current.message === "not connected to MongoDB") return true;
  }
  return false;
}

export function mongoErrorToDomain(error: unknown): unknown {
  if (error instanceof DomainError || !isMongoUnavailable(error)) return error;
  return unavailable("the database is unavailable", error);
}

/** Runs a MongoDB operation; if the server cannot be reached it fails with an UNAVAILABLE DomainError. */
export async function guardMongo<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw mongoErrorToDomain(error);
  }
}
