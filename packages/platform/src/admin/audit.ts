import { ActionOutcome, type AuditRecord } from "@marquee/proto/marquee/admin/v1/audit";
import type { RequestContext } from "../context.js";
import { streamOf } from "../events.js";

/** What an operator asks for: the action's name, what it is about, and why (required). */
export interface OperatorRequest {
  /** e.g. "dead-letter.redrive", "saga.retry", "projection.rebuild". */
  action: string;
  /** e.g. a dead letter's sequence, an order id, a projection's name. */
  target: string;
  /** The operator's words; blank → INVALID_ARGUMENT (field "reason") before anything runs. */
  reason: string;
}

export interface PerformedAction {
  outcome: ActionOutcome;
  audit: AuditRecord;
}

/**
 * The append-only audit log (a JetStream stream that refuses deletes and purges). Every
 * operator action runs through `perform`: the actor comes from the request context (the operator
 * certificate, or the operator user bff-ops acts for), and the record is written whatever the
 * result — an action that throws is recorded with its error, then the error is rethrown.
 */
export interface AuditLog {
  perform(request: OperatorRequest, act: () => Promise<ActionOutcome>): Promise<PerformedAction>;
  /** This service's records, newest first. */
  list(options: { pageSize: number; beforeSequence?: number; target?: string }): Promise<{
    records: AuditRecord[];
    nextBeforeSequence: number;
  }>;
}

/** The audit log's stream, one per namespace (`<namespace>.audit.<service>.<target>` subjects). */
export const auditStreamOf = (namespace: string): { name: string; subjects: string[] } => streamOf(namespace, "audit");

/**
 * Who acts, from the request context: the operator certificate itself ("operator"), or the user a
 * console acts for ("user:<id>", its token verified at admission). Anything else (a workload's
 * call, work outside a request) is named for what it is, never as an operator.
 */
export function actorOf(context: RequestContext | undefined): string {
  if (context?.caller === "operator") return "operator";
  if (context?.principal?.kind === "user") return `user:${context.principal.userId}`;
  return context?.caller ? `workload:${context.caller}` : "system";
}

const RESULTS: Record<ActionOutcome, string> = {
  [ActionOutcome.ACTION_OUTCOME_APPLIED]: "applied",
  [ActionOutcome.ACTION_OUTCOME_ALREADY_DONE]: "already-done",
  [ActionOutcome.ACTION_OUTCOME_UNSPECIFIED]: "unspecified",
  [ActionOutcome.UNRECOGNIZED]: "unspecified",
};

/** A record's result for an action that answered: "applied" or "already-done". */
export function resultOf(outcome: ActionOutcome): string {
  return RESULTS[outcome];
}

/**
 * Whether one of `actions` on `target` was applied before (not refused, not failed): how an
 * action whose effect leaves nothing behind to look at (a removed dead letter) finds itself done.
 */
export async function wasApplied(audit: AuditLog, target: string, actions: readonly string[]): Promise<boolean> {
  const applied = resultOf(ActionOutcome.ACTION_OUTCOME_APPLIED);
  for (let before: number | undefined; ;) {
    const page = await audit.list({ pageSize: 200, target, ...(before ? { beforeSequence: before } : {}) });
    if (page.records.some((record) => actions.includes(record.action) && record.result === applied)) return true;
    if (page.nextBeforeSequence === 0) return false;
    before = page.nextBeforeSequence;
  }
}
