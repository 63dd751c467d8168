import { currentContext, runWithContext } from "../context.js";
import { DomainError } from "../errors.js";

/**
 * Runs a composition with the gRPC calls it makes capped at `deadlineMs` (or the request's own
 * deadline when nearer), so a part left out at the deadline is also cancelled at the service.
 */
export function withinDeadline<T>(deadlineMs: number, run: () => Promise<T>): Promise<T> {
  const context = currentContext();
  if (!context) return run();
  const cap = Date.now() + deadlineMs;
  const deadline = new Date(Math.min(cap, context.deadline?.getTime() ?? cap));
  return runWithContext({ ...context, deadline }, run);
}

/** A required part that missed the deadline (compose reports it as a plain Error): 504, not 500. */
export function asRequiredPartError(part: string, error: unknown): unknown {
  if (error instanceof DomainError) return error;
  return new DomainError("deadline_exceeded", `${part} did not answer within the page's deadline`, { cause: error });
}

/**
 * Runs `run` with its gRPC calls' deadline `ms` from now, not the request's: for the work of a
 * stream (server-sent events, a rebuild's progress) that outlives the request deadline it started under.
 */
export function withFreshDeadline<T>(ms: number, run: () => Promise<T>): Promise<T> {
  const context = currentContext();
  return context ? runWithContext({ ...context, deadline: new Date(Date.now() + ms) }, run) : run();
}
