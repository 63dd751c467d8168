import { describe, it, before, after, afterEach } from "mocha";
import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { ConfigError, env, parseConfig } from "../src/config.js";
import { startConsumer, type RunningConsumer } from "../src/consumer.js";
import { streamOf, type OutgoingEvent } from "../src/events.js";
import { createLogger } from "../src/logger.js";
import {
  connectNats,
  ensureStreams,
  JetStreamPublisher,
  natsServers,
  streamConfig,
  type NatsConnection,
} from "../src/nats.js";
import { startNatsCluster, type NatsCluster, type NatsNode } from "../src/testing/nats-cluster.js";
import { connectAs } from "../src/testing/nats-client.js";
import { streamEvents } from "../src/testing/streams.js";
import { waitFor } from "../src/testing/wait.js";
import { testEvent, uniqueNamespace } from "./support.js";

const logger = createLogger("nats-cluster-test", "silent");

describe("NATS_URL and STREAM_REPLICAS settings", () => {
  it("NATS_URL is one nats: URL or a comma-separated list of them", () => {
    const schema = env.natsUrl("nats://127.0.0.1:4222");
    const list = "nats://127.0.0.1:4222, nats://127.0.0.1:4223,nats://127.0.0.1:4224";
    assert.equal(schema.parse(list), list);
    assert.deepEqual(natsServers(list), ["nats://127.0.0.1:4222", "nats://127.0.0.1:4223", "nats://127.0.0.1:4224"]);
    assert.equal(schema.parse(undefined), "nats://127.0.0.1:4222");
    for (const bad of ["ftp://x", "nats://127.0.0.1:4222,ftp://x", "nats://127.0.0.1:4222,", "127.0.0.1:4222"]) {
      assert.equal(schema.safeParse(bad).success, false, bad);
    }
  });

  it("STREAM_REPLICAS is 1 unless set, and 1 to 5", () => {
    assert.equal(parseConfig(streamConfig, {}).STREAM_REPLICAS, 1);
    assert.equal(parseConfig(streamConfig, { STREAM_REPLICAS: "3" }).STREAM_REPLICAS, 3);
    for (const bad of ["0", "6", "2.5", "three"]) {
      assert.throws(() => parseConfig(streamConfig, { STREAM_REPLICAS: bad }), ConfigError, bad);
    }
  });
});

describe("a three-node JetStream cluster", function () {
  this.timeout(180_000);
  let cluster: NatsCluster;
  let operator: NatsConnection;
  let jsm: JetStreamManager;
  const consumers: RunningConsumer[] = [];
  const connections: NatsConnection[] = [];

  before(async () => {
    cluster = await startNatsCluster({ nodes: 3 });
    operator = await connectAs(cluster.url);
    jsm = await jetstreamManager(operator);
  });

  after(async () => {
    await operator?.close();
    await cluster?.dispose();
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
    await Promise.all(connections.splice(0).map((nc) => nc.close()));
  });

  /** A connection as a service makes it: connectNats with the whole comma-separated list. */
  const connect = async (name: string): Promise<NatsConnection> => {
    const nc = await connectNats(cluster.url, { name, logger });
    connections.push(nc);
    return nc;
  };

  const consume = async (nc: NatsConnection, stream: string, namespace: string, seen: Map<string, number>) => {
    const consumer = await startConsumer({
      nc,
      stream,
      durable: "projector",
      filterSubjects: [`${namespace}.orders.>`],
      logger,
      ackWaitMs: 2_000,
      pullExpiresMs: 2_000,
      handler: async (event) => {
        seen.set(event.eventId, (seen.get(event.eventId) ?? 0) + 1);
      },
    });
    consumers.push(consumer);
    return consumer;
  };

  /** The consumer's leader and its followers (consumer info's cluster lists the followers only). */
  const consumerPeers = async (stream: string, durable: string): Promise<number> => {
    const { cluster: peers } = await jsm.consumers.info(stream, durable);
    return (peers?.leader ? 1 : 0) + (peers?.replicas?.length ?? 0);
  };

  it("ensureStreams with 3 replicas makes an R3 stream, and ensuring it again with 1 leaves it R3", async () => {
    const stream = streamOf(uniqueNamespace(), "orders");
    await ensureStreams(jsm, [stream], { replicas: 3 });
    const created = await jsm.streams.info(stream.name);
    assert.equal(created.config.num_replicas, 3);
    assert.equal(created.cluster?.replicas?.length, 2, "a leader and two followers");

    await ensureStreams(jsm, [{ ...stream, maxAgeMs: 3_600_000 }], { replicas: 1 });
    const ensuredAgain = await jsm.streams.info(stream.name);
    assert.equal(ensuredAgain.config.num_replicas, 3);
    assert.equal(ensuredAgain.config.max_age, nanos(3_600_000), "the rest of the configuration converged");
  });

  it("raises an R1 stream to 3 in place, and its durable consumer follows, also when it was pinned to 1", async () => {
    const namespace = uniqueNamespace();
    const stream = streamOf(namespace, "orders");
    await ensureStreams(jsm, [stream], { replicas: 1 });
    const publisher = new JetStreamPublisher(jetstream(await connect("publisher")));
    const placed = testEvent(namespace, "order-1", "placed");
    await publisher.publish(placed);
    const nc = await connect("consumer");
    const seen = new Map<string, number>();
    const first = await consume(nc, stream.name, namespace, seen);
    assert.equal(await consumerPeers(stream.name, "projector"), 1);

    await ensureStreams(jsm, [stream], { replicas: 3 });
    const raised = await jsm.streams.info(stream.name);
    assert.equal(raised.config.num_replicas, 3);
    assert.equal(raised.state.messages, 1, "the message kept");
    assert.ok(
      raised.cluster?.replicas?.every((peer) => peer.current),
      "ensureStreams waited for the copies",
    );
    await waitFor(async () => (await consumerPeers(stream.name, "projector")) === 3, {
      timeoutMs: 30_000,
      message: "the consumer to have 3 replicas like its stream",
    });

    await first.stop();
    await jsm.consumers.update(stream.name, "projector", { num_replicas: 1 });
    await waitFor(async () => (await consumerPeers(stream.name, "projector")) === 1, {
      timeoutMs: 30_000,
      message: "the consumer pinned to 1 replica by hand",
    });
    await consume(nc, stream.name, namespace, seen); // updates the existing consumer
    assert.equal((await jsm.consumers.info(stream.name, "projector")).config.num_replicas ?? 0, 0);
    await waitFor(async () => (await consumerPeers(stream.name, "projector")) === 3, {
      timeoutMs: 30_000,
      message: "the updated consumer to follow its stream's 3 replicas again",
    });
    const placedLater = testEvent(namespace, "order-2", "placed");
    await publisher.publish(placedLater);
    await waitFor(() => seen.has(placed.eventId) && seen.has(placedLater.eventId), { message: "both events consumed" });
  });

  it("loses nothing when the stream's leader is killed mid-publish, and the killed node catches up on restart", async () => {
    const namespace = uniqueNamespace();
    const stream = streamOf(namespace, "orders");
    await ensureStreams(jsm, [stream], { replicas: 3 });
    const events = Array.from({ length: 300 }, (_, i) => testEvent(namespace, `order-${i % 30}`, `event ${i}`));
    const seen = new Map<string, number>();
    await consume(await connect("consumer"), stream.name, namespace, seen);

    const publishing = publishWithRetries(
      new JetStreamPublisher(jetstream(await connect("publisher")), { timeoutMs: 2_000 }),
      events,
    );
    await waitFor(() => publishing.acked >= events.length / 3, { timeoutMs: 60_000, message: "a third acked" });
    const leader = await cluster.leaderOf(stream.name);
    await leader.kill("SIGKILL");
    const ackedAtKill = publishing.acked;
    await publishing.done;

    const next = await waitFor(async () => differentNode(await cluster.leaderOf(stream.name), leader), {
      timeoutMs: 60_000,
      message: "a new leader",
    });
    assert.ok(ackedAtKill < events.length, "the leader died while events were still being published");
    const stored = await streamEvents(operator, stream.name);
    assert.equal(stored.length, events.length, `${next.name} holds every event once`);
    assert.deepEqual(new Set(stored.map((event) => event.eventId)), new Set(events.map((event) => event.eventId)));
    await waitFor(() => events.every((event) => seen.has(event.eventId)), {
      timeoutMs: 60_000,
      message: "the durable consumer to receive every event",
    });
    assert.equal(seen.size, events.length);

    await leader.restart();
    await waitFor(
      async () => {
        const info = await jsm.streams.info(stream.name);
        const peers = [info.cluster?.leader, ...(info.cluster?.replicas ?? []).map((peer) => peer.name)];
        return (
          peers.includes(leader.name) &&
          info.cluster?.replicas?.length === 2 &&
          info.cluster.replicas.every((peer) => peer.current && (peer.lag ?? 0) === 0) &&
          (await messagesOn(leader, stream.name)) === events.length
        );
      },
      { timeoutMs: 60_000, message: `${leader.name} back, current, with lag 0 and all ${events.length} messages` },
    );
  });
});

/**
 * Publishes as the outbox relay does: a window of events at a time, each until JetStream acks it
 * (a timeout or "no responders" while the stream elects a new leader is retried, with the same
 * Nats-Msg-Id, so a publish that was stored but whose ack was lost is dropped as a duplicate).
 */
function publishWithRetries(
  publisher: JetStreamPublisher,
  events: OutgoingEvent[],
  window = 10,
): { acked: number; retries: number; done: Promise<void> } {
  const progress = { acked: 0, retries: 0, done: Promise.resolve() };
  const publishOne = async (event: OutgoingEvent): Promise<void> => {
    for (;;) {
      try {
        await publisher.publish(event);
        progress.acked++;
        return;
      } catch {
        progress.retries++;
        await delay(100); // the relay's backoff before its next attempt, shortened
      }
    }
  };
  progress.done = (async () => {
    for (let from = 0; from < events.length; from += window) {
      await Promise.all(events.slice(from, from + window).map(publishOne));
    }
  })();
  return progress;
}

const differentNode = (node: NatsNode, than: NatsNode): NatsNode | undefined =>
  node.name === than.name ? undefined : node;

/** Messages of the stream in the node's own store (its monitoring endpoint), not the leader's answer. */
async function messagesOn(node: NatsNode, stream: string): Promise<number | undefined> {
  const response = await fetch(`http://127.0.0.1:${node.monitorPort}/jsz?accounts=true&streams=true`);
  const jsz = (await response.json()) as {
    account_details?: { stream_detail?: { name: string; state: { messages: number } }[] }[];
  };
  const details = (jsz.account_details ?? []).flatMap((account) => account.stream_detail ?? []);
  return details.find((detail) => detail.name === stream)?.state.messages;
}
