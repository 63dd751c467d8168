import { status as GrpcStatus } from "@grpc/grpc-js";
import { JetStreamError, type JetStreamClient, type JetStreamManager, type StoredMsg } from "@nats-io/jetstream";
import { ActionOutcome, AuditRecord } from "@marquee/proto/marquee/admin/v1/audit";
import { currentContext } from "../context.js";
import { asDomainError, invalidArgument, toServiceError, unavailable } from "../errors.js";
import {
  actorOf,
  auditStreamOf,
  resultOf,
  type AuditLog,
  type OperatorRequest,
  type PerformedAction,
} from "./audit.js";

/** A reason longer than this is refused: it is a note, not a document. */
export const MAX_REASON_LENGTH = 2_000;
/** Records read per round trip while paging (direct gets in batches). */
const READ_BATCH = 256;

/**
 * The audit log on JetStream: each record is an AuditRecord (protobuf) on
 * `<namespace>.audit.<service>.t<target, base64url>`, in a stream that refuses message deletes and
 * purges (deny_delete, deny_purge: no API call can take a record out or rewrite one). Keeping the
 * target in the subject lets the server filter one target's records.
 */
export class JetStreamAuditLog implements AuditLog {
  private readonly stream: string;
  private readonly prefix: string;

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    namespace: string,
    private readonly service: string,
  ) {
    this.stream = auditStreamOf(namespace).name;
    this.prefix = `${namespace}.audit.${service}`;
  }

  async perform(request: OperatorRequest, act: () => Promise<ActionOutcome>): Promise<PerformedAction> {
    const reason = request.reason.trim();
    if (reason === "") throw invalidArgument([{ field: "reason", description: "say why (kept in the audit log)" }]);
    if (reason.length > MAX_REASON_LENGTH) {
      throw invalidArgument([{ field: "reason", description: `at most ${MAX_REASON_LENGTH} characters` }]);
    }
    const actor = actorOf(currentContext());
    let outcome = ActionOutcome.ACTION_OUTCOME_UNSPECIFIED;
    let failure: { error: unknown } | undefined;
    try {
      outcome = await act();
    } catch (error) {
      failure = { error };
    }
    const record: AuditRecord = {
      sequence: 0,
      at: new Date(),
      actor,
      service: this.service,
      action: request.action,
      target: request.target,
      reason,
      result: failure ? resultOfFailure(failure.error) : resultOf(outcome),
    };
    let audit: AuditRecord;
    try {
      audit = await this.append(record);
    } catch (error) {
      if (failure) throw failure.error; // the action's own failure says more; it changed nothing to record
      throw unavailable(`${request.action} on ${request.target} ran, but its audit record could not be written`, error);
    }
    if (failure) throw failure.error;
    return { outcome, audit };
  }

  async list(options: { pageSize: number; beforeSequence?: number; target?: string }): Promise<{
    records: AuditRecord[];
    nextBeforeSequence: number;
  }> {
    const filter = options.target ? this.subjectOf(options.target) : `${this.prefix}.>`;
    const before = options.beforeSequence && options.beforeSequence > 0 ? options.beforeSequence : Infinity;
    // Records are read oldest first (JetStream reads forward); the newest pageSize + 1 before
    // `before` are kept, the extra one saying whether an older page exists.
    const newest: AuditRecord[] = [];
    for (let from = 1; ;) {
      const batch = await this.readBatch(filter, from);
      for (const message of batch) {
        if (message.seq >= before) return page(newest, options.pageSize);
        newest.push(recordOf(message));
        if (newest.length > options.pageSize + 1) newest.shift();
      }
      const last = batch.at(-1);
      if (!last || last.pending <= 0) return page(newest, options.pageSize);
      from = last.seq + 1;
    }
  }

  private subjectOf(target: string): string {
    // A subject token can hold neither dots nor spaces nor wildcards: the target travels encoded.
    return `${this.prefix}.t${Buffer.from(target).toString("base64url")}`;
  }

  private async append(record: AuditRecord): Promise<AuditRecord> {
    const ack = await this.js.publish(this.subjectOf(record.target), AuditRecord.encode(record).finish(), {
      timeout: 5_000,
    });
    return { ...record, sequence: ack.seq };
  }

  private async readBatch(filter: string, from: number): Promise<StoredMsg[]> {
    const messages: StoredMsg[] = [];
    try {
      const batch = await this.jsm.direct.getBatch(this.stream, { seq: from, next_by_subj: filter, batch: READ_BATCH });
      for await (const message of batch) messages.push(message);
    } catch (error) {
      if (!isNoMessage(error)) throw error;
    }
    return messages;
  }
}

/** "NOT_FOUND: dead letter 7 not found": the code the caller got, and what went wrong. */
function resultOfFailure(error: unknown): string {
  const { code } = toServiceError(error);
  const message = asDomainError(error)?.message ?? (error instanceof Error ? error.message : String(error));
  return `${GrpcStatus[code]}: ${message}`.slice(0, 1_000);
}

function recordOf(message: StoredMsg): AuditRecord {
  return { ...AuditRecord.decode(message.data), sequence: message.seq };
}

function page(
  newest: AuditRecord[],
  pageSize: number,
): {
  records: AuditRecord[];
  nextBeforeSequence: number;
} {
  const more = newest.length > pageSize;
  const records = (more ? newest.slice(1) : newest).reverse();
  return { records, nextBeforeSequence: more ? (records.at(-1)?.sequence ?? 0) : 0 };
}

/** A direct get that matched nothing answers 404 ("message not found"). */
function isNoMessage(error: unknown): boolean {
  return error instanceof JetStreamError && (error as JetStreamError & { code?: unknown }).code === 404;
}
