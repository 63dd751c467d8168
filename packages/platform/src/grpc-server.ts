import { randomUUID } from "node:crypto";
import { once } from "node:events";
import {
  Server,
  ServerCredentials,
  type Metadata,
  type MethodDefinition,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { ReflectionService } from "@grpc/reflection";
import type { Logger } from "pino";
import { fileDescriptors } from "@marquee/proto";
import { runWithContext, type RequestContext } from "./context.js";
import { asDomainError, toServiceError } from "./errors.js";
import { HealthMonitor, type HealthCheck } from "./health.js";

/** What a handler knows about the call it serves. */
export interface CallContext {
  method: string;
  metadata: Metadata;
  requestId: string;
  deadline: Date | undefined;
  /** Aborted when the client cancels or the deadline passes. */
  signal: AbortSignal;
}

export type UnaryHandler<Req, Res> = (request: Req, call: CallContext) => Promise<Res>;
export type StreamHandler<Req, Res> = (request: Req, call: CallContext) => AsyncIterable<Res>;

type HandlerFor<M> =
  M extends MethodDefinition<infer Req, infer Res>
    ? M extends { responseStream: true }
      ? StreamHandler<Req, Res>
      : UnaryHandler<Req, Res>
    : never;

export type ServiceHandlers<D> = { [K in keyof D]: HandlerFor<D[K]> };

export interface ServiceBinding {
  /** Fully-qualified service name, e.g. "marquee.accounts.v1.AccountsService". */
  name: string;
  definition: ServiceDefinition;
  handlers: Record<string, UnaryHandler<unknown, unknown> | StreamHandler<unknown, unknown>>;
}

export function bindService<D extends ServiceDefinition>(definition: D, handlers: ServiceHandlers<D>): ServiceBinding {
  const first = Object.values(definition)[0];
  if (!first) throw new Error("service definition has no methods");
  return {
    name: first.path.split("/")[1] ?? "",
    definition,
    handlers: handlers as unknown as ServiceBinding["handlers"],
  };
}

export interface GrpcServerOptions {
  logger: Logger;
  host?: string;
  port: number;
  services: ServiceBinding[];
  healthChecks: HealthCheck[];
  healthIntervalMs?: number;
  maxMessageBytes?: number;
  /** How long in-flight calls may run after shutdown starts before they are cut. */
  shutdownGraceMs?: number;
}

export interface RunningGrpcServer {
  port: number;
  health: HealthMonitor;
  shutdown(): Promise<void>;
}

const METADATA_KEYS = {
  requestId: "x-request-id",
  correlationId: "x-correlation-id",
  traceparent: "traceparent",
  authorization: "authorization",
};

export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const maxMessageBytes = options.maxMessageBytes ?? 4 * 1024 * 1024;
  const server = new Server({
    "grpc.max_receive_message_length": maxMessageBytes,
    "grpc.max_send_message_length": maxMessageBytes,
    "grpc.keepalive_permit_without_calls": 1,
  });
  for (const service of options.services) {
    server.addService(service.definition, wrapHandlers(service, options.logger));
  }
  const health = new HealthMonitor(
    options.services.map((s) => s.name),
    options.healthChecks,
    options.logger,
  );
  health.implementation.addToServer(server);
  reflectionFor(options.services.map((s) => s.name)).addToServer(server);

  const port = await new Promise<number>((resolve, reject) => {
    const address = `${options.host ?? "0.0.0.0"}:${options.port}`;
    server.bindAsync(address, ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });
  health.start(options.healthIntervalMs ?? 1000);
  await health.checkNow();
  options.logger.info({ port, services: options.services.map((s) => s.name) }, "gRPC server listening");

  return {
    port,
    health,
    shutdown: () => drain(server, health, options.shutdownGraceMs ?? 10_000),
  };
}

/** Stop taking calls, let in-flight ones finish within the grace period, then cut the rest. */
async function drain(server: Server, health: HealthMonitor, graceMs: number): Promise<void> {
  health.drain();
  const graceful = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  const timer = setTimeout(() => server.forceShutdown(), graceMs);
  await graceful;
  clearTimeout(timer);
}

/** Reflection over the compiled contract set, listing only this server's services (and health). */
function reflectionFor(serviceNames: string[]): ReflectionService {
  const fileDescriptorProtos = fileDescriptors().map((file) => Buffer.from(file.bytes));
  // @grpc/reflection reads only `fileDescriptorProtos` from the package definition.
  const definition = {
    contracts: { format: "Protocol Buffer 3 DescriptorProto" as const, type: {}, fileDescriptorProtos },
  };
  return new ReflectionService(definition, { services: [...serviceNames, "grpc.health.v1.Health"] });
}

function wrapHandlers(service: ServiceBinding, logger: Logger): UntypedServiceImplementation {
  const implementation: UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(service.definition)) {
    const handler = service.handlers[name];
    if (!handler) throw new Error(`${service.name}: no handler for ${name}`);
    implementation[name] = method.responseStream
      ? serveStream(method.path, handler as StreamHandler<unknown, unknown>, logger)
      : serveUnary(method.path, handler as UnaryHandler<unknown, unknown>, logger);
  }
  return implementation;
}

function serveUnary(method: string, handler: UnaryHandler<unknown, unknown>, logger: Logger) {
  return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
    const { context, callContext } = contextOf(method, call);
    runWithContext(context, async () => {
      const started = performance.now();
      try {
        const response = await handler(call.request, callContext);
        logCall(logger, method, started, 0);
        callback(null, response);
      } catch (error) {
        const status = toServiceError(error);
        logCall(logger, method, started, status.code, error);
        callback(status);
      }
    });
  };
}

function serveStream(method: string, handler: StreamHandler<unknown, unknown>, logger: Logger) {
  return (call: ServerWritableStream<unknown, unknown>): void => {
    const { context, callContext } = contextOf(method, call);
    runWithContext(context, async () => {
      const started = performance.now();
      try {
        for await (const message of handler(call.request, callContext)) {
          if (callContext.signal.aborted) return;
          if (!call.write(message)) await once(call, "drain");
        }
        logCall(logger, method, started, 0);
        call.end();
      } catch (error) {
        const status = toServiceError(error);
        logCall(logger, method, started, status.code, error);
        call.emit("error", status);
      }
    });
  };
}

function contextOf(
  method: string,
  call: ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>,
): { context: RequestContext; callContext: CallContext } {
  const read = (key: string): string | undefined => {
    const value = call.metadata.get(key)[0];
    return typeof value === "string" && value.length > 0 ? value : undefined;
  };
  const requestId = read(METADATA_KEYS.requestId) ?? randomUUID();
  const rawDeadline = call.getDeadline();
  const deadline =
    rawDeadline instanceof Date ? rawDeadline : Number.isFinite(rawDeadline) ? new Date(rawDeadline) : undefined;
  const abort = new AbortController();
  call.once("cancelled", () => abort.abort());
  const context: RequestContext = { requestId };
  if (deadline) context.deadline = deadline;
  const traceparent = read(METADATA_KEYS.traceparent);
  if (traceparent) context.traceparent = traceparent;
  const authorization = read(METADATA_KEYS.authorization);
  if (authorization) context.authorization = authorization;
  context.correlationId = read(METADATA_KEYS.correlationId) ?? requestId;
  return {
    context,
    callContext: { method, metadata: call.metadata, requestId, deadline, signal: abort.signal },
  };
}

function logCall(logger: Logger, method: string, started: number, code: number, error?: unknown): void {
  const durationMs = Math.round((performance.now() - started) * 100) / 100;
  if (code === 0) {
    logger.debug({ rpc: method, code, durationMs }, "rpc ok");
  } else if (asDomainError(error)) {
    logger.info({ rpc: method, code, durationMs, error: (error as Error).message }, "rpc failed");
  } else {
    logger.error({ rpc: method, code, durationMs, err: error }, "rpc failed unexpectedly");
  }
}

export { METADATA_KEYS };
