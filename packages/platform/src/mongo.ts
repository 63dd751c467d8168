import mongoose, { type Connection, type ConnectOptions } from "mongoose";
import type { Logger } from "pino";
import { z } from "zod";
import { parseConfig } from "./config.js";
import { DomainError, unavailable } from "./errors.js";

export type { Connection } from "mongoose";

/** A variable left empty (`MONGO_RETRY_WRITES=`) counts as not set. */
const unlessEmpty = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

const READ_PREFERENCES = ["primary", "primaryPreferred", "secondary", "secondaryPreferred", "nearest"] as const;

/**
 * How a process's MongoDB connections write and read, for every process with a MONGO_URL. A
 * setting not given leaves it to MONGO_URL's query (`?w=majority`) and then to the driver, as
 * before these settings existed: acknowledged by the server's default write concern, reads from
 * the primary, retryable writes on (the driver uses them only against a replica set or a sharded
 * cluster, so FerretDB and a standalone MongoDB are unaffected). A setting given wins over the
 * URL's. Production (a replica set): majority, primaryPreferred, true (docs/scaling.md).
 */
export const mongoConfig = z.object({
  /** `majority` (acknowledged once on most members: survives a failover) or a number of members (0: unacknowledged). */
  MONGO_WRITE_CONCERN: unlessEmpty(
    z
      .string()
      .regex(/^(majority|\d{1,2})$/, { error: 'must be "majority" or a number of members (0, 1, 2, ...)' })
      .transform((value): "majority" | number => (value === "majority" ? value : Number(value))),
  ),
  /** Which members reads go to: primary, primaryPreferred, secondary, secondaryPreferred or nearest. */
  MONGO_READ_PREFERENCE: unlessEmpty(
    z.enum(READ_PREFERENCES, { error: `must be one of ${READ_PREFERENCES.join(", ")}` }),
  ),
  /** Whether the driver retries a write once after a failover or a network error: true or false. */
  MONGO_RETRY_WRITES: unlessEmpty(
    z.enum(["true", "false"], { error: "must be true or false" }).transform((value) => value === "true"),
  ),
});

export type MongoSettings = z.output<typeof mongoConfig>;

/** The driver options the settings name; nothing for a setting not given. */
export function mongoDriverOptions(settings: MongoSettings): ConnectOptions {
  return {
    ...(settings.MONGO_WRITE_CONCERN === undefined ? {} : { writeConcern: { w: settings.MONGO_WRITE_CONCERN } }),
    ...(settings.MONGO_READ_PREFERENCE === undefined ? {} : { readPreference: settings.MONGO_READ_PREFERENCE }),
    ...(settings.MONGO_RETRY_WRITES === undefined ? {} : { retryWrites: settings.MONGO_RETRY_WRITES }),
  };
}

export interface MongoOptions {
  logger: Logger;
  serverSelectionTimeoutMs?: number;
  /** Write concern, read preference, retryable writes (default: from the environment, mongoConfig). */
  settings?: MongoSettings;
}

/**
 * A connection of its own (not mongoose's global one) that fails fast while the server is
 * down: no command buffering, a short server selection timeout. The driver reconnects by itself.
 * A bad MONGO_WRITE_CONCERN, MONGO_READ_PREFERENCE or MONGO_RETRY_WRITES throws a ConfigError
 * naming it before any connection is made.
 */
export async function connectMongo(url: string, options: MongoOptions): Promise<Connection> {
  const settings = options.settings ?? parseConfig(mongoConfig);
  const connection = mongoose.createConnection(url, {
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 2_000,
    bufferCommands: false,
    autoIndex: true,
    ...mongoDriverOptions(settings),
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
