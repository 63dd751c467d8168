import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { OutgoingEvent } from "./events.js";
import type { EventPublisher, PublishResult } from "./nats.js";
import { publishInOrder } from "./outbox.js";
import { waitFor } from "./testing/wait.js";

const event = (aggregateId: string): OutgoingEvent => ({
  eventId: randomUUID(),
  subject: "marquee.orders.order_placed",
  type: "marquee.orders.v1.OrderPlaced",
  aggregateId,
  payload: new Uint8Array(),
  occurredAt: new Date(),
});

/** Acks or fails each publish when the test says so, and records the order publishes started in. */
class ManualPublisher implements EventPublisher {
  readonly started: string[] = [];
  private readonly pending = new Map<string, { resolve: (r: PublishResult) => void; reject: (e: Error) => void }>();

  publish(published: OutgoingEvent): Promise<PublishResult> {
    this.started.push(published.eventId);
    return new Promise((resolve, reject) => this.pending.set(published.eventId, { resolve, reject }));
  }

  ack(acked: OutgoingEvent): void {
    this.pending.get(acked.eventId)?.resolve({ seq: 1, duplicate: false });
  }

  fail(failed: OutgoingEvent): void {
    this.pending.get(failed.eventId)?.reject(new Error("nats down"));
  }
}

describe("publishInOrder", () => {
  it("pipelines across aggregates but waits for each aggregate's previous ack", async () => {
    const publisher = new ManualPublisher();
    const [a1, b1, a2] = [event("a"), event("b"), event("a")];
    const done = publishInOrder(publisher, [a1, b1, a2]);
    await waitFor(() => publisher.started.length === 2);
    assert.deepEqual(publisher.started, [a1.eventId, b1.eventId], "a2 waits for a1");
    publisher.ack(b1);
    publisher.ack(a1);
    await waitFor(() => publisher.started.length === 3);
    publisher.ack(a2);
    assert.deepEqual(await done, { acked: [a1.eventId, b1.eventId, a2.eventId] });
  });

  it("does not publish an aggregate's later events after one failed", async () => {
    const publisher = new ManualPublisher();
    const [a1, b1, a2] = [event("a"), event("b"), event("a")];
    const done = publishInOrder(publisher, [a1, b1, a2]);
    await waitFor(() => publisher.started.length === 2);
    publisher.fail(a1);
    publisher.ack(b1);
    const result = await done;
    assert.deepEqual(result.acked, [b1.eventId]);
    assert.ok(result.failure instanceof Error);
    assert.deepEqual(publisher.started, [a1.eventId, b1.eventId], "a2 never left");
  });
});
