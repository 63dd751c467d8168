import { DeliverPolicy, jetstream } from "@nats-io/jetstream";
import { Metadata } from "@grpc/grpc-js";
import { streamOf, subjectOf, type createClient } from "@marquee/platform";
import { toIncomingEvent, type NatsConnection } from "@marquee/platform/nats";
import type { OrdersServiceClient, ReadEventPagesResponse } from "@marquee/proto/marquee/orders/v1/orders_service";
import type { AnyEvent, History, HistoryChunk } from "../../app/ports.js";
import { SOURCE_OF, type ProjectionName } from "../../domain/projections.js";
import { decodeEvent, decodeIncoming, EVENTS_OF } from "./decode.js";

/** Inventory events per chunk of its history. */
const CHUNK = 1_000;
/** A rebuild's read of the whole event store: long, but not forever. */
const READ_EVENTS_DEADLINE_MS = 6 * 3_600_000;

type OrdersClient = ReturnType<typeof createClient<OrdersServiceClient>>;

/**
 * The projections' past. Orders: every event of the event store from the orders service's
 * ReadEventPages (server streaming, in commit order, many events per message, with the end
 * position the read started at for progress) — the store keeps all of it, whatever the stream's
 * retention. Inventory: its JetStream stream replayed by an ordered consumer from sequence 1 up
 * to the pinned sequence.
 */
export class EventHistory implements History {
  constructor(
    private readonly orders: OrdersClient,
    private readonly nats: NatsConnection,
    private readonly namespace: string,
  ) {}

  read(name: ProjectionName, untilSequence: number, signal: AbortSignal): AsyncIterable<HistoryChunk> {
    // Only the projection's own events are decoded (organizer-sales needs a quarter of them).
    const types = new Set(EVENTS_OF[name].map((type) => type.typeName));
    return SOURCE_OF[name] === "orders"
      ? this.ordersHistory(types, signal)
      : this.inventoryHistory(untilSequence, signal);
  }

  private async *ordersHistory(types: ReadonlySet<string>, signal: AbortSignal): AsyncGenerator<HistoryChunk> {
    const call = this.orders.raw.readEventPages({ afterPosition: 0, limit: 0 }, new Metadata(), {
      deadline: new Date(Date.now() + READ_EVENTS_DEADLINE_MS),
    });
    const cancel = () => call.cancel();
    signal.addEventListener("abort", cancel);
    let total = 0;
    try {
      for await (const message of call as AsyncIterable<ReadEventPagesResponse>) {
        const events: AnyEvent[] = [];
        for (const e of message.events) {
          if (!types.has(e.type)) continue;
          const event = decodeEvent(e.type, e.eventId, e.payload, e.recordedAt ?? new Date());
          if (event) events.push(event);
        }
        const last = message.events.at(-1);
        if (!last) continue;
        total = last.endPosition;
        yield { events, done: last.position, total };
      }
    } finally {
      signal.removeEventListener("abort", cancel);
    }
    signal.throwIfAborted();
    yield { events: [], done: total, total };
  }

  private async *inventoryHistory(untilSequence: number, signal: AbortSignal): AsyncGenerator<HistoryChunk> {
    const total = untilSequence;
    if (untilSequence > 0) {
      const consumer = await jetstream(this.nats).consumers.get(streamOf(this.namespace, "inventory").name, {
        filter_subjects: EVENTS_OF.availability.map((type) => subjectOf(this.namespace, type.context, type.name)),
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: 1,
      });
      if ((await consumer.info()).num_pending > 0) {
        const messages = await consumer.consume({ max_messages: 5 * CHUNK });
        const stop = () => messages.stop();
        signal.addEventListener("abort", stop);
        let events: AnyEvent[] = [];
        try {
          for await (const msg of messages) {
            if (msg.seq > untilSequence) break;
            const event = decodeIncoming(toIncomingEvent(msg), msg.time);
            if (event) events.push(event);
            const last = msg.seq >= untilSequence || msg.info.pending === 0;
            if (events.length >= CHUNK || last) {
              yield { events, done: msg.seq, total };
              events = [];
            }
            if (last) break;
          }
        } finally {
          signal.removeEventListener("abort", stop);
          messages.stop();
        }
        signal.throwIfAborted();
      }
    }
    yield { events: [], done: total, total };
  }
}
