import { randomUUID } from "node:crypto";
import { once } from "node:events";
import {
  Server,
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
import { z } from "zod";
import { fileDescriptors } from "@marquee/proto";
import type { AccessRule, AccessTable } from "@marquee/proto/access";
import type { TokenVerifier } from "./auth.js";
import { env, parseConfig } from "./config.js";
import { runWithContext, type RequestContext } from "./context.js";
import { asDomainError, permissionDenied, toServiceError, unauthenticated } from "./errors.js";
import { callerWorkload, serverCredentials, type TransportIdentity } from "./identity.js";
import { HealthMonitor, type HealthCheck } from "./health.js";
import { grpcServerRecorder, splitMethodPath, type CallRecorder } from "./telemetry/metrics.js";
import {
  formatTraceparent,
  remoteParent,
  SpanKind,
  SpanStatusCode,
  startSpan,
  type Span,
} from "./telemetry/tracing.js";

/** What a handler knows about the call it serves. */
export interface CallContext {
  method: string;
  metadata: Metadata;
  requestId: string;
  deadline: Date | undefined;
  /** Aborted when the client cancels or the deadline passes (made on first read: most handlers never look). */
  readonly signal: AbortSignal;
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
  /** Who may call each RPC, by its .proto name (@marquee/proto/access). */
  access: Readonly<Record<string, AccessRule>>;
}

export function bindService<D extends ServiceDefinition>(
  definition: D,
  access: AccessTable<D>,
  handlers: ServiceHandlers<D>,
): ServiceBinding {
  const first = Object.values(definition)[0];
  if (!first) throw new Error("service definition has no methods");
  return {
    name: first.path.split("/")[1] ?? "",
    definition,
    handlers: handlers as unknown as ServiceBinding["handlers"],
    access: access as Readonly<Record<string, AccessRule>>,
  };
}

export interface GrpcServerOptions {
  logger: Logger;
  host?: string;
  port: number;
  services: ServiceBinding[];
  /** The server's certificate; clients must present one from the same CA. */
  identity: TransportIdentity;
  /** Verifies end users' tokens for the RPCs whose rule acts for one (required if any does). */
  verifier?: TokenVerifier | undefined;
  healthChecks: HealthCheck[];
  healthIntervalMs?: number;
  maxMessageBytes?: number;
  /** How long in-flight calls may run after shutdown starts before they are cut. */
  shutdownGraceMs?: number;
  /**
   * A connection older than this is asked to go (GOAWAY; ±10% jitter), so long-lived clients
   * reconnect and spread over the replicas that exist now (default: GRPC_MAX_CONNECTION_AGE_MS).
   */
  maxConnectionAgeMs?: number;
  /** How long the calls still running on such a connection may finish (default: GRPC_MAX_CONNECTION_AGE_GRACE_MS). */
  maxConnectionAgeGraceMs?: number;
}

/** The settings every gRPC server shares (serveGrpc checks them at a service's start). */
export const grpcServerConfig = z.object({
  GRPC_MAX_CONNECTION_AGE_MS: env.milliseconds(300_000),
  // Long: orders' ReadEventPages feeds a query rebuild in one stream for up to 6 h; idle connections
  // still close at once (the grace only lets running calls finish).
  GRPC_MAX_CONNECTION_AGE_GRACE_MS: env.milliseconds(21_600_000),
});

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
  const connectionAge = connectionAgeOf(options);
  const server = new Server({
    "grpc.max_receive_message_length": maxMessageBytes,
    "grpc.max_send_message_length": maxMessageBytes,
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.max_connection_age_ms": connectionAge.maxMs,
    "grpc.max_connection_age_grace_ms": connectionAge.graceMs,
  });
  for (const service of options.services) {
    server.addService(service.definition, wrapHandlers(service, options.logger, options.verifier));
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
    server.bindAsync(address, serverCredentials(options.identity), (error, bound) =>
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

/** The options' connection age, or the GRPC_MAX_CONNECTION_AGE_* settings where they give none. */
function connectionAgeOf(options: GrpcServerOptions): { maxMs: number; graceMs: number } {
  const { maxConnectionAgeMs, maxConnectionAgeGraceMs } = options;
  if (maxConnectionAgeMs !== undefined && maxConnectionAgeGraceMs !== undefined) {
    return { maxMs: maxConnectionAgeMs, graceMs: maxConnectionAgeGraceMs };
  }
  const settings = parseConfig(grpcServerConfig);
  return {
    maxMs: maxConnectionAgeMs ?? settings.GRPC_MAX_CONNECTION_AGE_MS,
    graceMs: maxConnectionAgeGraceMs ?? settings.GRPC_MAX_CONNECTION_AGE_GRACE_MS,
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

function wrapHandlers(
  service: ServiceBinding,
  logger: Logger,
  verifier: TokenVerifier | undefined,
): UntypedServiceImplementation {
  const implementation: UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(service.definition)) {
    const handler = service.handlers[name];
    if (!handler) throw new Error(`${service.name}: no handler for ${name}`);
    const rpc = method.path.split("/")[2] ?? "";
    const rule = service.access[rpc];
    if (!rule) throw new Error(`${service.name}: no access rule for ${rpc}`);
    const observed = new ObservedMethod(method.path, logger, admission(rpc, rule, verifier));
    implementation[name] = method.responseStream
      ? serveStream(observed, handler as StreamHandler<unknown, unknown>)
      : serveUnary(observed, handler as UnaryHandler<unknown, unknown>);
  }
  return implementation;
}

/**
 * Checks a call against its access rule before the handler sees it: the client certificate's
 * workload must be listed (PERMISSION_DENIED), and the end user's token the rule needs is verified
 * (UNAUTHENTICATED), its principal kept in the request context for the handler, beside the caller's
 * workload. Synchronous (and undefined) when the rule needs no token. A server without a verifier
 * admits operators' RPCs from the operator certificate only: it cannot check a console's token.
 */
type Admission = (call: ServerCall) => Promise<void> | undefined;

function admission(rpc: string, rule: AccessRule, verifier: TokenVerifier | undefined): Admission {
  if (rule.acting !== "workload" && rule.acting !== "operator" && !verifier)
    throw new Error(`${rpc} acts for end users: the server needs a verifier`);
  const verify =
    verifier &&
    {
      workload: undefined,
      user: (authorization: string | undefined) => verifier.requireUser(authorization),
      principal: (authorization: string | undefined) => verifier.requirePrincipal(authorization),
      optional: (authorization: string | undefined) => verifier.optionalUser(authorization),
      operator: (authorization: string | undefined) => verifier.requireOperator(authorization),
    }[rule.acting];
  return (call) => {
    const caller = call.peer;
    if (!caller) throw unauthenticated("the client certificate names no spiffe://marquee/ workload");
    if (!rule.callers.includes(caller as AccessRule["callers"][number])) {
      throw permissionDenied(`${caller} may not call ${rpc}`);
    }
    const context = call.context;
    context.caller = caller;
    // The operator certificate is a person already: a console acts for one and proves it with a token.
    if (rule.acting === "workload" || (rule.acting === "operator" && caller === "operator")) return undefined;
    if (!verify) {
      throw permissionDenied(
        `${caller} may not call ${rpc} here: this service verifies no tokens (operator certificate only)`,
      );
    }
    return Promise.resolve(verify(context.authorization)).then((principal) => {
      if (principal) context.principal = principal;
    });
  };
}

/**
 * What every call of one method shares, written once: a SERVER span per call (continuing the
 * caller's `traceparent`), RED metrics (grpc_server_handled_total, grpc_server_handling_seconds)
 * and the call log line.
 */
class ObservedMethod {
  readonly spanName: string;
  private readonly record: CallRecorder;
  private readonly service: string;
  private readonly method: string;

  constructor(
    readonly path: string,
    readonly logger: Logger,
    readonly admit: Admission,
  ) {
    this.spanName = path.slice(1);
    [this.service, this.method] = splitMethodPath(path);
    this.record = grpcServerRecorder(path);
  }

  startSpan(traceparent: string | undefined): Span {
    const span = startSpan(this.spanName, { kind: SpanKind.SERVER, parent: remoteParent(traceparent) });
    if (span.isRecording()) {
      span.setAttributes({ "rpc.system": "grpc", "rpc.service": this.service, "rpc.method": this.method });
    }
    return span;
  }

  finish(call: ServerCall, code: number, error?: unknown): void {
    const elapsedMs = performance.now() - call.started;
    this.record(elapsedMs / 1000, code);
    const span = call.span;
    if (span.isRecording()) {
      span.setAttribute("rpc.grpc.status_code", code);
      if (SERVER_ERROR_CODES.has(code)) {
        if (error instanceof Error) span.recordException(error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(code) });
      }
    }
    span.end();
    logCall(this.logger, this.path, elapsedMs, code, error);
  }
}

/** Status codes that are the server's fault (OpenTelemetry's rule for gRPC server spans). */
const SERVER_ERROR_CODES = new Set([2, 4, 12, 13, 14, 15]);

/** One inbound call: its request context (what the handler's callees see) and the handler's view of it. */
class ServerCall implements CallContext {
  readonly started = performance.now();
  readonly requestId: string;
  readonly deadline: Date | undefined;
  readonly context: RequestContext;
  readonly span: Span;
  /** Set once the response or error is sent: grpc-js emits "cancelled" after every call, even a successful one. */
  finished = false;
  private abort: AbortController | undefined;

  constructor(
    readonly method: string,
    private readonly call: ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>,
    observed: ObservedMethod,
  ) {
    const metadata = call.metadata;
    this.requestId = read(metadata, METADATA_KEYS.requestId) ?? randomUUID();
    const rawDeadline = call.getDeadline();
    this.deadline =
      rawDeadline instanceof Date ? rawDeadline : Number.isFinite(rawDeadline) ? new Date(rawDeadline) : undefined;
    this.span = observed.startSpan(read(metadata, METADATA_KEYS.traceparent));
    const context: RequestContext = {
      requestId: this.requestId,
      traceparent: formatTraceparent(this.span),
      span: this.span,
      correlationId: read(metadata, METADATA_KEYS.correlationId) ?? this.requestId,
    };
    if (this.deadline) context.deadline = this.deadline;
    const authorization = read(metadata, METADATA_KEYS.authorization);
    if (authorization) context.authorization = authorization;
    this.context = context;
  }

  get metadata(): Metadata {
    return this.call.metadata;
  }

  /** The workload its verified client certificate names. */
  get peer(): string | undefined {
    return callerWorkload(this.call);
  }

  get signal(): AbortSignal {
    if (!this.abort) {
      const abort = new AbortController();
      this.abort = abort;
      if (this.call.cancelled && !this.finished) abort.abort();
      else this.call.once("cancelled", () => (this.finished ? undefined : abort.abort()));
    }
    return this.abort.signal;
  }

  /** True when the client went away (cancelled, or the deadline passed) before the answer. */
  get cancelled(): boolean {
    return this.call.cancelled && !this.finished;
  }
}

function read(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

function serveUnary(observed: ObservedMethod, handler: UnaryHandler<unknown, unknown>) {
  return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
    const serverCall = new ServerCall(observed.path, call, observed);
    runWithContext(serverCall.context, () => {
      let answer: Promise<unknown>;
      try {
        const admitted = observed.admit(serverCall);
        answer = admitted ? admitted.then(() => handler(call.request, serverCall)) : handler(call.request, serverCall);
      } catch (error) {
        answer = Promise.reject(error); // refused, or a handler that is not async and threw at once
      }
      answer.then(
        (response) => {
          serverCall.finished = true;
          callback(null, response);
          observed.finish(serverCall, 0);
        },
        (error: unknown) => {
          serverCall.finished = true;
          const status = toServiceError(error);
          callback(status);
          observed.finish(serverCall, status.code, error);
        },
      );
    });
  };
}

function serveStream(observed: ObservedMethod, handler: StreamHandler<unknown, unknown>) {
  return (call: ServerWritableStream<unknown, unknown>): void => {
    const serverCall = new ServerCall(observed.path, call, observed);
    // grpc-js wants this function to return void; the stream's errors are caught below and sent as its status.
    void runWithContext(serverCall.context, async () => {
      try {
        await observed.admit(serverCall);
        for await (const message of handler(call.request, serverCall)) {
          if (serverCall.cancelled) {
            serverCall.finished = true;
            observed.finish(serverCall, 1);
            return;
          }
          if (!call.write(message)) await once(call, "drain");
        }
        serverCall.finished = true;
        call.end();
        observed.finish(serverCall, 0);
      } catch (error) {
        serverCall.finished = true;
        const status = toServiceError(error);
        call.emit("error", status);
        observed.finish(serverCall, status.code, error);
      }
    });
  };
}

function logCall(logger: Logger, method: string, elapsedMs: number, code: number, error?: unknown): void {
  if (code === 0) {
    // Checked first: at info, a successful call allocates nothing for its (discarded) log line.
    if (logger.isLevelEnabled("debug")) {
      logger.debug({ rpc: method, code, durationMs: Math.round(elapsedMs * 100) / 100 }, "rpc ok");
    }
    return;
  }
  const durationMs = Math.round(elapsedMs * 100) / 100;
  if (asDomainError(error)) {
    logger.info({ rpc: method, code, durationMs, error: (error as Error).message }, "rpc failed");
  } else {
    logger.error({ rpc: method, code, durationMs, err: error }, "rpc failed unexpectedly");
  }
}

export { METADATA_KEYS };
