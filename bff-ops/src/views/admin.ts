import { actionOutcomeToJSON, type ActionOutcome, type AuditRecord } from "@marquee/proto/marquee/admin/v1/audit";
import type { DeadLetter, GetOverviewResponse } from "@marquee/proto/marquee/admin/v1/admin_service";
import { enumName, iso } from "./format.js";

/** One service's part of the overview: `up` false when it did not answer in time (then nothing else is known). */
export interface ServiceOverview {
  service: string;
  up: boolean;
  healthy: boolean;
  dependencies: { name: string; healthy: boolean; detail: string; latencyMs: number }[];
  outbox: { pending: number; oldestAgeMs: number } | null;
  consumers: {
    durable: string;
    stream: string;
    pending: number;
    ackPending: number;
    redelivered: number;
    lastError: string;
    lastErrorAt: string | null;
    deadLetters: number;
  }[];
  deadLetters: number;
}

export const downService = (service: string): ServiceOverview => ({
  service,
  up: false,
  healthy: false,
  dependencies: [],
  outbox: null,
  consumers: [],
  deadLetters: 0,
});

export const serviceOverviewView = (service: string, overview: GetOverviewResponse): ServiceOverview => ({
  service,
  up: true,
  healthy: overview.healthy,
  dependencies: overview.dependencies.map((d) => ({
    name: d.name,
    healthy: d.healthy,
    detail: d.detail,
    latencyMs: d.latencyMs,
  })),
  outbox: overview.outbox ? { pending: overview.outbox.pending, oldestAgeMs: overview.outbox.oldestAgeMs } : null,
  consumers: overview.consumers.map((c) => ({
    durable: c.durable,
    stream: c.stream,
    pending: c.pending,
    ackPending: c.ackPending,
    redelivered: c.redelivered,
    lastError: c.lastError,
    lastErrorAt: iso(c.lastErrorAt),
    deadLetters: c.deadLetters,
  })),
  deadLetters: overview.deadLetters,
});

export interface DeadLetterView {
  /** The service whose consumer gave up on the event: with the sequence, the dead letter's address. */
  service: string;
  sequence: number;
  consumer: string;
  subject: string;
  eventType: string;
  eventId: string;
  aggregateId: string;
  reason: string;
  deadLetteredAt: string | null;
  headers: Record<string, string>;
  /** The payload decoded from protobuf (its JSON mapping); null when it could not be decoded. */
  payload: unknown;
  payloadSize: number;
}

export function deadLetterView(service: string, letter: DeadLetter): DeadLetterView {
  return {
    service,
    sequence: letter.sequence,
    consumer: letter.consumer,
    subject: letter.subject,
    eventType: letter.eventType,
    eventId: letter.eventId,
    aggregateId: letter.aggregateId,
    reason: letter.reason,
    deadLetteredAt: iso(letter.deadLetteredAt),
    headers: letter.headers,
    payload: decoded(letter.payloadJson),
    payloadSize: letter.payloadSize,
  };
}

function decoded(json: string): unknown {
  if (!json) return null;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return null;
  }
}

export interface AuditRecordView {
  sequence: number;
  at: string | null;
  actor: string;
  service: string;
  action: string;
  target: string;
  reason: string;
  result: string;
}

export const auditRecordView = (record: AuditRecord): AuditRecordView => ({
  sequence: record.sequence,
  at: iso(record.at),
  actor: record.actor,
  service: record.service,
  action: record.action,
  target: record.target,
  reason: record.reason,
  result: record.result,
});

const outcomeName = enumName(actionOutcomeToJSON, "ACTION_OUTCOME_");

/** What an operator's action answers: APPLIED or ALREADY_DONE, and the audit record it wrote. */
export const actionView = (answer: { outcome: ActionOutcome; audit?: AuditRecord | undefined }) => ({
  outcome: outcomeName(answer.outcome),
  audit: answer.audit ? auditRecordView(answer.audit) : null,
});
