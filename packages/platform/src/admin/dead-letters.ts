import {
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  type MsgRequest,
  type StoredMsg,
} from "@nats-io/jetstream";
import type { DeadLetter } from "@marquee/proto/marquee/admin/v1/admin_service";
import { deadLetterSubjectOf } from "../consumer.js";
import { deadLetterStreamOf, EventHeaders, type IncomingEvent } from "../events.js";
import { failedPrecondition } from "../errors.js";
import { payloadAsJson } from "./event-codecs.js";

/** What consumer.ts deadLetter() adds to the event's own headers. */
export const DeadLetterHeaders = {
  subject: "Marquee-Dead-Letter-Subject",
  consumer: "Marquee-Dead-Letter-Consumer",
  /** `<stream>:<sequence>` of the event in its own stream. */
  stream: "Marquee-Dead-Letter-Stream",
  reason: "Marquee-Dead-Letter-Reason",
} as const;

/** A dead letter of one of this service's consumers, as stored. */
export interface StoredDeadLetter {
  durable: string;
  message: StoredMsg;
}

/**
 * This service's consumers' dead letters in the namespace's dead letters' stream (every service's
 * consumers share it; each one's are on `<namespace>.deadletter.<durable>`). Read with stream
 * message gets, which need neither a consumer nor direct gets on a stream no service converges.
 */
export class DeadLetters {
  readonly stream: string;

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly namespace: string,
    /** The durable names of this service's consumers (asked each time: consumers come and go). */
    private readonly durables: () => readonly string[],
  ) {
    this.stream = deadLetterStreamOf(namespace).name;
  }

  /** How many dead letters each of this service's consumers has. */
  async counts(): Promise<Map<string, number>> {
    const durables = this.durables();
    if (durables.length === 0) return new Map();
    const info = await this.jsm.streams.info(this.stream, { subjects_filter: `${this.namespace}.deadletter.>` });
    const bySubject = info.state.subjects ?? {};
    return new Map(durables.map((durable) => [durable, bySubject[this.subjectOf(durable)] ?? 0]));
  }

  /** Oldest first, after `afterSequence`, one consumer's or all of this service's. */
  async list(options: { durables: readonly string[]; pageSize: number; afterSequence: number }): Promise<{
    letters: StoredDeadLetter[];
    nextAfterSequence: number;
  }> {
    // One cursor per consumer's subject, merged by sequence.
    const heads = await Promise.all(
      options.durables.map(async (durable) => ({ durable, next: await this.next(durable, options.afterSequence + 1) })),
    );
    const letters: StoredDeadLetter[] = [];
    while (letters.length <= options.pageSize) {
      const head = heads.reduce<(typeof heads)[number] | undefined>(
        (oldest, candidate) =>
          candidate.next && (!oldest?.next || candidate.next.seq < oldest.next.seq) ? candidate : oldest,
        undefined,
      );
      if (!head?.next) break;
      letters.push({ durable: head.durable, message: head.next });
      head.next = await this.next(head.durable, head.next.seq + 1);
    }
    const more = letters.length > options.pageSize;
    const page = more ? letters.slice(0, options.pageSize) : letters;
    return { letters: page, nextAfterSequence: more ? (page.at(-1)?.message.seq ?? 0) : 0 };
  }

  /** The dead letter at `sequence` if it is one of this service's consumers'. */
  async find(sequence: number): Promise<StoredDeadLetter | undefined> {
    // A service that consumes nothing has no dead letters (nor the right to read the stream's).
    if (this.durables().length === 0) return undefined;
    const message = await this.jsm.streams.getMessage(this.stream, { seq: sequence });
    if (!message) return undefined;
    const durable = this.durables().find((candidate) => this.subjectOf(candidate) === message.subject);
    return durable ? { durable, message } : undefined;
  }

  /** Removes a dead letter; false when it was gone already (another call removed it first). */
  async remove(sequence: number): Promise<boolean> {
    try {
      return await this.jsm.streams.deleteMessage(this.stream, sequence, false);
    } catch (error) {
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.NoMessageFound) return false;
      if (error instanceof JetStreamApiError && /no message found/i.test(error.message)) return false;
      throw error;
    }
  }

  private subjectOf(durable: string): string {
    return deadLetterSubjectOf(this.namespace, durable);
  }

  private next(durable: string, from: number): Promise<StoredMsg | null> {
    // The server's STREAM.MSG.GET takes next_by_subj; the client's MsgRequest type does not list it.
    const query = { seq: from, next_by_subj: this.subjectOf(durable) } as unknown as MsgRequest;
    return this.jsm.streams.getMessage(this.stream, query);
  }
}

/** A dead letter as operators read it: its headers, its reason, its payload decoded to JSON. */
export function deadLetterOf({ durable, message }: StoredDeadLetter): DeadLetter {
  const headers = headersOf(message);
  return {
    sequence: message.seq,
    consumer: headers[DeadLetterHeaders.consumer] ?? durable,
    subject: headers[DeadLetterHeaders.subject] ?? "",
    eventType: headers[EventHeaders.type] ?? "",
    eventId: headers[EventHeaders.eventId] ?? "",
    aggregateId: headers[EventHeaders.aggregateId] ?? "",
    reason: headers[DeadLetterHeaders.reason] ?? "",
    deadLetteredAt: message.time,
    headers,
    payloadJson: payloadAsJson(headers[EventHeaders.type] ?? "", message.data),
    payloadSize: message.data.length,
  };
}

/** The event as its consumer first received it, to hand to its handler again. */
export function eventOf({ message }: StoredDeadLetter): IncomingEvent {
  const headers = headersOf(message);
  const eventId = headers[EventHeaders.eventId];
  const type = headers[EventHeaders.type];
  if (!eventId || !type) {
    throw failedPrecondition(`dead letter ${message.seq} is no readable event (no event id or type): discard it`);
  }
  const event: IncomingEvent = {
    eventId,
    subject: headers[DeadLetterHeaders.subject] ?? "",
    type,
    aggregateId: headers[EventHeaders.aggregateId] ?? "",
    payload: message.data,
    deliveryCount: 1,
    streamSequence: Number(headers[DeadLetterHeaders.stream]?.split(":").at(-1) ?? 0) || 0,
  };
  const causationId = headers[EventHeaders.causationId];
  const correlationId = headers[EventHeaders.correlationId];
  const traceparent = headers[EventHeaders.traceparent];
  if (causationId) event.causationId = causationId;
  if (correlationId) event.correlationId = correlationId;
  if (traceparent) event.traceparent = traceparent;
  return event;
}

function headersOf(message: StoredMsg): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, values] of message.header ?? []) {
    const value = values[0];
    if (value !== undefined) headers[name] = value;
  }
  return headers;
}
