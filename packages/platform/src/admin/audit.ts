import type { ActionOutcome, AuditRecord } from "@marquee/proto/marquee/admin/v1/audit";

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
