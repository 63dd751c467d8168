import {
  InterceptingCall,
  Metadata,
  type CallOptions,
  type ChannelCredentials,
  type ChannelOptions,
  type Client,
  type ClientUnaryCall,
  type Interceptor,
  type ServiceError,
} from "@grpc/grpc-js";
import { ROOT_CONTEXT } from "@opentelemetry/api";
import { z } from "zod";
import { env, parseConfig } from "./config.js";
import { currentContext } from "./context.js";
import { type DomainError, fromServiceError } from "./errors.js";
import { METADATA_KEYS } from "./grpc-server.js";
import { grpcTarget } from "./grpc-target.js";
import { clientCredentials, processIdentity, type TransportIdentity } from "./identity.js";
import { grpcClientRecorder, splitMethodPath } from "./telemetry/metrics.js";
import { formatTraceparent, SpanKind, SpanStatusCode, startSpan } from "./telemetry/tracing.js";

export interface ClientOptions {
  /** Deadline for a call when the caller has none (and the cap when it has one further away). */
  defaultTimeoutMs?: number;
  /** RPC names (as in the .proto, e.g. "GetUser") safe to retry on UNAVAILABLE. */
  idempotentMethods?: string[];
  maxMessageBytes?: number;
  /** The certificate the channel presents (default: this process's, from TLS_DIR). */
  identity?: TransportIdentity;
  /**
   * The workload the server's certificate must name (its DNS name): by default the service's
   * own, "accounts" for marquee.accounts.v1.AccountsService, whatever address it is reached at.
   */
  serverWorkload?: string;
  /** The longest wait before an unreachable address is tried again (default: GRPC_MAX_RECONNECT_BACKOFF_MS). */
  maxReconnectBackoffMs?: number;
}

/** The settings every process's gRPC clients share, read from the environment at the first client. */
export const grpcClientConfig = z.object({
  /**
   * An address that does not answer is tried again after a backoff growing to this: how soon a
   * replica listed before it listens (or back after a restart) gets calls.
   */
  GRPC_MAX_RECONNECT_BACKOFF_MS: env.milliseconds(5_000),
});

let clientSettings: z.output<typeof grpcClientConfig> | undefined;

export interface CallSettings {
  timeoutMs?: number;
  metadata?: Metadata;
}

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

/** [request, response] of a ts-proto unary client method (its last, callback overload). */
type UnaryTypes<F> = F extends UnaryMethod<infer Req, infer Res> ? [Req, Res] : never;

/** A ts-proto client with each unary method turned into `(request, settings?) => Promise<response>`. */
export type PromiseClient<C> = {
  [K in keyof C as [UnaryTypes<C[K]>] extends [never] ? never : K]: (
    request: UnaryTypes<C[K]>[0],
    settings?: CallSettings,
  ) => Promise<UnaryTypes<C[K]>[1]>;
};

export type ClientConstructor<C> = {
  new (address: string, channelCredentials: ChannelCredentials, options?: ChannelOptions): C;
  service: Record<string, { path: string }>;
};

/**
 * A client for one service over mutual TLS (this process's certificate, or options.identity), at
 * an address in any form env.address takes (grpc-target.ts), its calls spread round-robin over
 * every address that answers: every call carries a deadline (the inbound call's remaining time, capped by defaultTimeoutMs),
 * the request id and the end user's token of the inbound call, and runs in a CLIENT span (a
 * child of the current span) whose traceparent it sends;
 * idempotent methods retry on UNAVAILABLE with backoff (gRPC retry policy in the channel's
 * service config, under the one span); errors come back as DomainError with their kind.
 * Calls are counted in grpc_client_handled_total / grpc_client_handling_seconds.
 */
export function createClient<C extends Client>(
  Constructor: ClientConstructor<C>,
  address: string,
  options: ClientOptions = {},
): { raw: C; call: PromiseClient<C>; close(): void } {
  const identity = options.identity ?? processIdentity();
  const target = grpcTarget(address);
  const raw = new Constructor(target, clientCredentials(identity), channelOptions(Constructor, target, options));
  return { raw, call: promisify(raw), close: () => raw.close() };
}

/**
 * round_robin over a target with several addresses (a list, or dns:/// for a headless Service);
 * pick_first (grpc-js's default) for one: after its server restarts, pick_first reconnects when the
 * next call comes, where round_robin would have tried at once, failed, and answered calls
 * UNAVAILABLE until its reconnect backoff ran out.
 */
const balancesOverReplicas = (target: string): boolean => /^(ipv4|ipv6):|^dns:/.test(target);

function channelOptions<C>(Constructor: ClientConstructor<C>, target: string, options: ClientOptions): ChannelOptions {
  const maxMessageBytes = options.maxMessageBytes ?? 4 * 1024 * 1024;
  const serviceName = serviceNameOf(Constructor);
  const serverWorkload = options.serverWorkload ?? serviceName.split(".")[1] ?? "";
  const maxBackoffMs =
    options.maxReconnectBackoffMs ?? (clientSettings ??= parseConfig(grpcClientConfig)).GRPC_MAX_RECONNECT_BACKOFF_MS;
  const serviceConfig = {
    ...(balancesOverReplicas(target) ? { loadBalancingConfig: [{ round_robin: {} }] } : {}),
    methodConfig: [
      {
        name: (options.idempotentMethods ?? []).map((method) => ({ service: serviceName, method })),
        retryPolicy: {
          maxAttempts: 4,
          initialBackoff: "0.05s",
          maxBackoff: "1s",
          backoffMultiplier: 2,
          retryableStatusCodes: ["UNAVAILABLE"],
        },
      },
    ].filter((config) => config.name.length > 0),
  };
  return {
    "grpc.max_receive_message_length": maxMessageBytes,
    "grpc.max_send_message_length": maxMessageBytes,
    // The server proves it is that workload, not merely something at that address (and TLS gets
    // a host name, never an IP address, as its server name).
    "grpc.ssl_target_name_override": serverWorkload,
    "grpc.keepalive_time_ms": 60_000,
    "grpc.keepalive_timeout_ms": 20_000,
    "grpc.initial_reconnect_backoff_ms": Math.min(1_000, maxBackoffMs),
    "grpc.max_reconnect_backoff_ms": maxBackoffMs,
    "grpc.service_config": JSON.stringify(serviceConfig),
    "grpc.enable_retries": 1,
    interceptors: [propagateContext(options.defaultTimeoutMs ?? 5_000)],
  };
}

function propagateContext(defaultTimeoutMs: number): Interceptor {
  return (options, nextCall) => {
    const context = currentContext();
    const cap = Date.now() + defaultTimeoutMs;
    const explicit = options.deadline instanceof Date ? options.deadline.getTime() : Number(options.deadline ?? cap);
    const inbound = context?.deadline?.getTime() ?? cap;
    const deadline = new Date(Math.min(explicit, inbound, cap));
    const path = options.method_definition.path;
    const span = startSpan(path.slice(1), {
      kind: SpanKind.CLIENT,
      parent: context?.otelContext ?? context?.span ?? ROOT_CONTEXT,
    });
    if (span.isRecording()) {
      const [service, method] = splitMethodPath(path);
      span.setAttributes({ "rpc.system": "grpc", "rpc.service": service, "rpc.method": method });
    }
    const record = grpcClientRecorder(path);
    const started = performance.now();
    return new InterceptingCall(nextCall({ ...options, deadline }), {
      start(metadata, listener, next) {
        if (context) {
          setIfAbsent(metadata, METADATA_KEYS.requestId, context.requestId);
          setIfAbsent(metadata, METADATA_KEYS.correlationId, context.correlationId);
          setIfAbsent(metadata, METADATA_KEYS.authorization, context.authorization);
        }
        // This call's own span is the callee's parent (never the inbound call's traceparent).
        metadata.set(METADATA_KEYS.traceparent, formatTraceparent(span));
        next(metadata, {
          onReceiveStatus(status, nextStatus) {
            record((performance.now() - started) / 1000, status.code);
            if (span.isRecording()) {
              span.setAttribute("rpc.grpc.status_code", status.code);
              if (status.code !== 0) span.setStatus({ code: SpanStatusCode.ERROR, message: status.details });
            }
            span.end();
            nextStatus(status);
          },
        });
      },
    });
  };
}

function setIfAbsent(metadata: Metadata, key: string, value: string | undefined): void {
  if (value !== undefined && metadata.get(key).length === 0) metadata.set(key, value);
}

function promisify<C extends Client>(raw: C): PromiseClient<C> {
  return new Proxy({} as PromiseClient<C>, {
    get(_, name: string) {
      const method = (raw as unknown as Record<string, UnaryMethod<unknown, unknown> | undefined>)[name];
      if (typeof method !== "function") return undefined;
      return (request: unknown, settings: CallSettings = {}) =>
        new Promise((resolve, reject) => {
          const callOptions: Partial<CallOptions> = {};
          if (settings.timeoutMs !== undefined) callOptions.deadline = new Date(Date.now() + settings.timeoutMs);
          method.call(raw, request, settings.metadata ?? new Metadata(), callOptions, (error, response) =>
            error ? reject(fromServiceError(error)) : resolve(response),
          );
        });
    },
  });
}

/** "marquee.wallet.v1.WalletService" of a ts-proto client (from its methods' paths). */
export function serviceNameOf(Constructor: Pick<ClientConstructor<unknown>, "service">): string {
  return Object.values(Constructor.service)[0]?.path.split("/")[1] ?? "";
}

/** Metadata carrying an end user's access token. */
export function bearer(token: string): Metadata {
  const metadata = new Metadata();
  metadata.set(METADATA_KEYS.authorization, `Bearer ${token}`);
  return metadata;
}

export type { DomainError };
