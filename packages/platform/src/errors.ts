import { status as GrpcStatus, Metadata, type ServiceError } from "@grpc/grpc-js";
import { Status } from "@marquee/proto/google/rpc/status";
import { BadRequest, ErrorInfo, RetryInfo } from "@marquee/proto/google/rpc/error_details";

/** What went wrong, in domain terms. The one table below maps it to gRPC and HTTP. */
export type ErrorKind =
  | "invalid_argument"
  | "unauthenticated"
  | "permission_denied"
  | "not_found"
  | "already_exists"
  | "failed_precondition"
  | "aborted"
  | "resource_exhausted"
  | "deadline_exceeded"
  | "unavailable"
  | "internal";

export interface FieldViolation {
  field: string;
  description: string;
}

const KINDS: Record<ErrorKind, { grpc: GrpcStatus; http: number }> = {
  invalid_argument: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 400 },
  unauthenticated: { grpc: GrpcStatus.UNAUTHENTICATED, http: 401 },
  permission_denied: { grpc: GrpcStatus.PERMISSION_DENIED, http: 403 },
  not_found: { grpc: GrpcStatus.NOT_FOUND, http: 404 },
  already_exists: { grpc: GrpcStatus.ALREADY_EXISTS, http: 409 },
  failed_precondition: { grpc: GrpcStatus.FAILED_PRECONDITION, http: 409 },
  aborted: { grpc: GrpcStatus.ABORTED, http: 409 },
  resource_exhausted: { grpc: GrpcStatus.RESOURCE_EXHAUSTED, http: 429 },
  deadline_exceeded: { grpc: GrpcStatus.DEADLINE_EXCEEDED, http: 504 },
  unavailable: { grpc: GrpcStatus.UNAVAILABLE, http: 503 },
  internal: { grpc: GrpcStatus.INTERNAL, http: 500 },
};

const KIND_BY_GRPC = new Map<GrpcStatus, ErrorKind>(
  Object.entries(KINDS).map(([kind, codes]) => [codes.grpc, kind as ErrorKind]),
);
KIND_BY_GRPC.set(GrpcStatus.CANCELLED, "unavailable");
KIND_BY_GRPC.set(GrpcStatus.OUT_OF_RANGE, "invalid_argument");

/** An expected failure: safe to show to the caller, with a machine-readable reason. */
export class DomainError extends Error {
  readonly kind: ErrorKind;
  readonly reason: string | undefined;
  readonly violations: FieldViolation[];
  /** When to try again (google.rpc.RetryInfo over gRPC, Retry-After over HTTP). */
  readonly retryAfterMs: number | undefined;

  constructor(
    kind: ErrorKind,
    message: string,
    options: { reason?: string; violations?: FieldViolation[]; cause?: unknown; retryAfterMs?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "DomainError";
    this.kind = kind;
    this.reason = options.reason;
    this.violations = options.violations ?? [];
    this.retryAfterMs = options.retryAfterMs;
  }

  get grpcCode(): GrpcStatus {
    return KINDS[this.kind].grpc;
  }

  get httpStatus(): number {
    return KINDS[this.kind].http;
  }
}

export const invalidArgument = (violations: FieldViolation[]): DomainError =>
  new DomainError("invalid_argument", `invalid ${violations.map((v) => `${v.field}: ${v.description}`).join("; ")}`, {
    violations,
  });
export const notFound = (what: string): DomainError => new DomainError("not_found", `${what} not found`);
export const alreadyExists = (what: string): DomainError => new DomainError("already_exists", `${what} already exists`);
export const permissionDenied = (message: string): DomainError => new DomainError("permission_denied", message);
export const unauthenticated = (message = "a valid access token is required"): DomainError =>
  new DomainError("unauthenticated", message);
export const failedPrecondition = (message: string, reason?: string): DomainError =>
  new DomainError("failed_precondition", message, reason ? { reason } : {});
export const unavailable = (message: string, cause?: unknown): DomainError =>
  new DomainError("unavailable", message, { cause });
/** Turned away before any work because the service is at its limit (load shedding): come back later. */
export const overloaded = (message: string, retryAfterMs: number): DomainError =>
  new DomainError("resource_exhausted", message, { reason: "OVERLOADED", retryAfterMs });
/** An event arrived before what it depends on: consumers retry it later, never dead-letter it. */
export const retryLater = (message: string): DomainError =>
  new DomainError("unavailable", message, { reason: "RETRY_LATER" });

export function httpStatusOf(kind: ErrorKind): number {
  return KINDS[kind].http;
}

const DETAILS_KEY = "grpc-status-details-bin";
const ERROR_DOMAIN = "marquee";

/**
 * The status sent to a gRPC client: domain errors as they are (with google.rpc.BadRequest /
 * ErrorInfo details), anything else as INTERNAL with a generic message so nothing leaks.
 */
export function toServiceError(error: unknown): Partial<ServiceError> & { code: GrpcStatus } {
  const domain = asDomainError(error);
  if (!domain) return { code: GrpcStatus.INTERNAL, details: "internal error" };
  const details: { typeUrl: string; value: Buffer }[] = [];
  if (domain.violations.length > 0) {
    details.push({
      typeUrl: "type.googleapis.com/google.rpc.BadRequest",
      value: Buffer.from(BadRequest.encode({ fieldViolations: domain.violations }).finish()),
    });
  }
  if (domain.reason) {
    details.push({
      typeUrl: "type.googleapis.com/google.rpc.ErrorInfo",
      value: Buffer.from(ErrorInfo.encode({ reason: domain.reason, domain: ERROR_DOMAIN, metadata: {} }).finish()),
    });
  }
  if (domain.retryAfterMs !== undefined) {
    const ms = Math.max(0, Math.round(domain.retryAfterMs));
    const retryDelay = { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
    details.push({
      typeUrl: "type.googleapis.com/google.rpc.RetryInfo",
      value: Buffer.from(RetryInfo.encode({ retryDelay }).finish()),
    });
  }
  const metadata = new Metadata();
  if (details.length > 0) {
    const encoded = Status.encode({ code: domain.grpcCode, message: domain.message, details }).finish();
    metadata.set(DETAILS_KEY, Buffer.from(encoded));
  }
  return { code: domain.grpcCode, details: domain.message, metadata };
}

/** Turns an error from a gRPC call back into a DomainError with the same kind, reason and fields. */
export function fromServiceError(error: ServiceError): DomainError {
  const kind = KIND_BY_GRPC.get(error.code) ?? "internal";
  let violations: FieldViolation[] = [];
  let reason: string | undefined;
  let retryAfterMs: number | undefined;
  const raw = error.metadata?.get(DETAILS_KEY)[0];
  if (raw instanceof Buffer) {
    for (const detail of Status.decode(raw).details) {
      if (detail.typeUrl.endsWith("google.rpc.BadRequest")) {
        violations = BadRequest.decode(detail.value).fieldViolations;
      } else if (detail.typeUrl.endsWith("google.rpc.ErrorInfo")) {
        reason = ErrorInfo.decode(detail.value).reason;
      } else if (detail.typeUrl.endsWith("google.rpc.RetryInfo")) {
        const delay = RetryInfo.decode(detail.value).retryDelay;
        if (delay) retryAfterMs = Number(delay.seconds) * 1000 + Math.round(delay.nanos / 1_000_000);
      }
    }
  }
  return new DomainError(kind, error.details || error.message, {
    violations,
    cause: error,
    ...(reason ? { reason } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

export function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === "number" && "metadata" in error;
}

/** Recognises a driver's failure as a domain error (e.g. "database unreachable" → UNAVAILABLE). */
export type ErrorTranslator = (error: unknown) => DomainError | undefined;
const translators: ErrorTranslator[] = [];

/** Registered once per process by the adapters that know their driver's errors (PostgreSQL, MongoDB). */
export function registerErrorTranslator(translator: ErrorTranslator): void {
  if (!translators.includes(translator)) translators.push(translator);
}

/** DomainError as is; a failed downstream gRPC call keeps its kind; a known driver failure is translated. */
export function asDomainError(error: unknown): DomainError | undefined {
  if (error instanceof DomainError) return error;
  if (isServiceError(error)) return fromServiceError(error);
  for (const translate of translators) {
    const translated = translate(error);
    if (translated) return translated;
  }
  return undefined;
}
