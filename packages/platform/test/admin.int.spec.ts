import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { headers as natsHeaders } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import pg from "pg";
import { OrderEvents } from "@marquee/proto/events";
import { AdminServiceClient, type DeadLetter } from "@marquee/proto/marquee/admin/v1/admin_service";
import { OrderConfirmed, OrderPlaced } from "@marquee/proto/marquee/orders/events/v1/events";
import { ActionOutcome } from "@marquee/proto/marquee/admin/v1/audit";
import { auditStreamOf } from "../src/admin/audit.js";
import { TOKEN } from "../src/auth.js";
import { deadLetterSubjectOf } from "../src/consumer.js";
import type { DomainError } from "../src/errors.js";
import { deadLetterStreamOf, newEvent, streamOf, type EventType } from "../src/events.js";
import { bearer, createClient } from "../src/grpc-client.js";
import { JetStreamPublisher, type NatsConnection } from "../src/nats.js";
import { connectAs } from "../src/testing/nats-client.js";
import { startNatsServer, type NatsServer } from "../src/testing/nats-server.js";
import { createTestDatabase, type TestDatabase } from "../src/testing/postgres.js";
import { startService, type ServiceProcess } from "../src/testing/service-process.js";
import { testIdentity } from "../src/testing/tls.js";
import { waitFor } from "../src/testing/wait.js";
import { uniqueNamespace } from "./support.js";

const COUNTER = fileURLToPath(new URL("fixtures/counter-service.js", import.meta.url));
const ONE_BY_ONE = "counter-on-placed";
const IN_BATCHES = "counter-on-confirmed";
const APPLIED = ActionOutcome.ACTION_OUTCOME_APPLIED;
const ALREADY_DONE = ActionOutcome.ACTION_OUTCOME_ALREADY_DONE;

type AdminClient = ReturnType<typeof createClient<AdminServiceClient>>;

/** The error a call was refused with (fails the test if it was answered). */
async function refusal(call: Promise<unknown>): Promise<DomainError> {
  return call.then(
    () => assert.fail("answered, not refused"),
    (error: unknown) => error as DomainError,
  );
}

describe("the admin service every service serves (a declared service, real NATS and PostgreSQL)", function () {
  this.timeout(90_000);
  const namespace = uniqueNamespace();
  let nats: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let db: TestDatabase;
  let counter: ServiceProcess;
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  let jwks: string;
  const clients: AdminClient[] = [];

  const clientAs = async (workload: string): Promise<AdminClient> => {
    const client = createClient(AdminServiceClient, counter.address, {
      identity: await testIdentity(workload),
      serverWorkload: "counter",
    });
    clients.push(client);
    return client;
  };
  const operator = (): Promise<AdminClient> => clientAs("operator");

  /** An access token as accounts signs one, by the test's own key (the fixture verifies against it). */
  const token = (userId: string, operatorRole: boolean): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ [TOKEN.rolesClaim]: {}, ...(operatorRole ? { [TOKEN.operatorClaim]: true } : {}) })
      .setProtectedHeader({ alg: TOKEN.algorithm, kid: "test-key", typ: "JWT" })
      .setIssuer(TOKEN.issuer)
      .setAudience(TOKEN.audience)
      .setSubject(userId)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(keys.privateKey);
  };

  const effects = async (consumer: string): Promise<string[]> => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ event_id: string }>(
        "SELECT event_id FROM effects WHERE consumer = $1 ORDER BY event_id",
        [consumer],
      );
      return rows.map((row) => row.event_id);
    } finally {
      await client.end();
    }
  };

  const publish = async <T>(type: EventType<T>, aggregateId: string, message: T): Promise<string> => {
    const event = newEvent(namespace, type, aggregateId, message);
    await new JetStreamPublisher(jetstream(nc)).publish(event);
    return event.eventId;
  };

  /** Waits until the consumer's dead letters hold the event. */
  const deadLettered = async (client: AdminClient, consumer: string, eventId: string): Promise<DeadLetter> =>
    waitFor(
      async () => {
        const { deadLetters } = await client.call.listDeadLetters({ consumer, pageSize: 200, afterSequence: 0 });
        return deadLetters.find((letter) => letter.eventId === eventId);
      },
      { message: `${eventId} dead-lettered by ${consumer}` },
    );

  before(async () => {
    nats = await startNatsServer({ namespaces: [namespace], extraRights: { counter: { reads: ["orders"] } } });
    nc = await connectAs(nats.url);
    jsm = await jetstreamManager(nc);
    db = await createTestDatabase("counter");
    keys = await generateKeyPair(TOKEN.algorithm, { crv: "Ed25519", extractable: true });
    jwks = JSON.stringify([{ ...(await exportJWK(keys.publicKey)), kid: "test-key", alg: TOKEN.algorithm }]);
    counter = await startService({
      name: "counter",
      main: COUNTER,
      env: {
        DATABASE_URL: db.url,
        NATS_URL: nats.url,
        EVENT_NAMESPACE: namespace,
        METRICS_PORT: "0",
        TEST_JWKS: jwks,
        // The poison switch on both consumers; two quick deliveries before an event is dead-lettered.
        MARQUEE_FAIL_CONSUMER: `${ONE_BY_ONE},${IN_BATCHES}`,
        CONSUMER_MAX_DELIVER: "2",
        CONSUMER_RETRY_DELAY_MS: "50",
      },
    });
  });

  after(async () => {
    for (const client of clients) client.close();
    await counter?.kill();
    await nc?.close();
    await nats?.dispose();
    await db?.drop();
  });

  describe("who may call it", () => {
    it("admits the operator certificate without a token", async () => {
      const overview = await (await operator()).call.getOverview({});
      assert.equal(overview.service, "counter");
    });

    it("refuses every other workload with PERMISSION_DENIED, whatever token it carries", async () => {
      const web = await clientAs("bff-web");
      const operatorToken = await token("op-1", true);
      for (const call of [
        () => web.call.getOverview({}),
        () => web.call.getOverview({}, { metadata: bearer(operatorToken) }),
        () => web.call.listAuditRecords({ pageSize: 0, beforeSequence: 0, target: "" }),
        () => web.call.redriveDeadLetter({ sequence: 1, reason: "x" }, { metadata: bearer(operatorToken) }),
      ]) {
        const error = await refusal(call());
        assert.equal(error.kind, "permission_denied", error.message);
      }
      const orders = await clientAs("orders");
      assert.equal((await refusal(orders.call.getOverview({}))).kind, "permission_denied");
    });

    it("admits bff-ops only for a user with the operator role: no token UNAUTHENTICATED, a buyer's PERMISSION_DENIED", async () => {
      const console = await clientAs("bff-ops");
      assert.equal((await refusal(console.call.getOverview({}))).kind, "unauthenticated");
      const buyer = await refusal(console.call.getOverview({}, { metadata: bearer(await token("buyer-1", false)) }));
      assert.equal(buyer.kind, "permission_denied", buyer.message);
      const overview = await console.call.getOverview({}, { metadata: bearer(await token("op-1", true)) });
      assert.equal(overview.service, "counter");
    });
  });

  describe("the overview", () => {
    it("shows each dependency's health and latency, the outbox backlog and every consumer", async () => {
      // A row its NATS user may not publish (another context's subject): it stays in the outbox.
      const stuck = randomUUID();
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        await client.query(
          `INSERT INTO outbox (event_id, subject, type, aggregate_id, payload, occurred_at)
           VALUES ($1, $2, 'marquee.wallet.events.v1.FundsCharged', 'order-x', '\\x00', now())`,
          [stuck, `${namespace}.wallet.funds_charged`],
        );
      } finally {
        await client.end();
      }
      const admin = await operator();
      const overview = await waitFor(
        async () => {
          const answer = await admin.call.getOverview({});
          return answer.outbox && answer.outbox.pending >= 1 && answer.outbox.oldestAgeMs > 0 ? answer : undefined;
        },
        { message: "the stuck outbox row in the overview" },
      );
      assert.equal(overview.healthy, true);
      assert.deepEqual(overview.dependencies.map((dependency) => dependency.name).sort(), ["nats", "postgres"]);
      for (const dependency of overview.dependencies) {
        assert.equal(dependency.healthy, true, `${dependency.name}: ${dependency.detail}`);
        assert.ok(dependency.latencyMs > 0, `${dependency.name}'s latency`);
      }
      assert.equal(overview.outbox?.pending, 1);
      const ordersStream = streamOf(namespace, "orders").name;
      assert.deepEqual(overview.consumers.map((consumer) => [consumer.durable, consumer.stream]).sort(), [
        [IN_BATCHES, ordersStream],
        [ONE_BY_ONE, ordersStream],
      ]);
    });
  });

  describe("dead letters", () => {
    const placed: string[] = [];
    let confirmed: string;
    let firstLetter: DeadLetter;

    it("a poisoned event is dead-lettered, listed, and read decoded to JSON with its headers and reason", async () => {
      const orderId = randomUUID();
      const order = { orderId, buyerId: "u-1", showId: "show-1", quantity: 2, attendeeNames: ["Ada"] };
      placed.push(await publish(OrderEvents.orderPlaced, orderId, OrderPlaced.fromPartial(order)));
      const other = randomUUID();
      placed.push(await publish(OrderEvents.orderPlaced, other, OrderPlaced.fromPartial({ orderId: other })));
      confirmed = await publish(OrderEvents.orderConfirmed, orderId, OrderConfirmed.fromPartial({ orderId }));
      const admin = await operator();
      firstLetter = await deadLettered(admin, ONE_BY_ONE, placed[0] ?? "");
      await deadLettered(admin, ONE_BY_ONE, placed[1] ?? "");
      await deadLettered(admin, IN_BATCHES, confirmed);

      const { deadLetter } = await admin.call.getDeadLetter({ sequence: firstLetter.sequence });
      assert.ok(deadLetter);
      assert.equal(deadLetter.consumer, ONE_BY_ONE);
      assert.equal(deadLetter.subject, `${namespace}.orders.order_placed`);
      assert.equal(deadLetter.eventType, OrderEvents.orderPlaced.typeName);
      assert.equal(deadLetter.aggregateId, orderId);
      assert.equal(deadLetter.reason, `poison switch: ${ONE_BY_ONE}`);
      assert.ok(deadLetter.deadLetteredAt instanceof Date);
      assert.ok(deadLetter.payloadSize > 0);
      assert.deepEqual(JSON.parse(deadLetter.payloadJson), {
        orderId,
        buyerId: "u-1",
        showId: "show-1",
        quantity: 2,
        attendeeNames: ["Ada"],
      });
      assert.equal(deadLetter.headers["Marquee-Event-Id"], placed[0]);
      assert.equal(deadLetter.headers["Marquee-Dead-Letter-Consumer"], ONE_BY_ONE);
      assert.match(
        deadLetter.headers["Marquee-Dead-Letter-Stream"] ?? "",
        new RegExp(`^${streamOf(namespace, "orders").name}:\\d+$`),
      );

      const all = await admin.call.listDeadLetters({ consumer: "", pageSize: 0, afterSequence: 0 });
      assert.equal(all.deadLetters.length, 3, "every consumer's, oldest first");
      const sequences = all.deadLetters.map((letter) => letter.sequence);
      assert.deepEqual(
        sequences,
        [...sequences].sort((a, b) => a - b),
      );
      const firstPage = await admin.call.listDeadLetters({ consumer: "", pageSize: 2, afterSequence: 0 });
      assert.deepEqual(
        firstPage.deadLetters.map((letter) => letter.sequence),
        sequences.slice(0, 2),
      );
      const secondPage = await admin.call.listDeadLetters({
        consumer: "",
        pageSize: 2,
        afterSequence: firstPage.nextAfterSequence,
      });
      assert.deepEqual(
        secondPage.deadLetters.map((letter) => letter.sequence),
        sequences.slice(2),
      );
      assert.equal(secondPage.nextAfterSequence, 0);

      const overview = await admin.call.getOverview({});
      assert.equal(overview.deadLetters, 3);
      const oneByOne = overview.consumers.find((consumer) => consumer.durable === ONE_BY_ONE);
      assert.equal(oneByOne?.deadLetters, 2);
      assert.equal(oneByOne?.lastError, `poison switch: ${ONE_BY_ONE}`);
      assert.ok(oneByOne?.lastErrorAt instanceof Date);
      assert.deepEqual(await effects(ONE_BY_ONE), [], "nothing was handled");
    });

    it("a redrive while the poison is still there fails, keeps the dead letter, and is audited with the error", async () => {
      const admin = await operator();
      const error = await refusal(
        admin.call.redriveDeadLetter({ sequence: firstLetter.sequence, reason: "too early" }),
      );
      assert.equal(error.kind, "failed_precondition", error.message);
      assert.match(error.message, /poison switch/);
      assert.ok((await admin.call.getDeadLetter({ sequence: firstLetter.sequence })).deadLetter);
      const { records } = await admin.call.listAuditRecords({
        pageSize: 1,
        beforeSequence: 0,
        target: `dead-letter:${firstLetter.sequence}`,
      });
      assert.equal(records[0]?.reason, "too early");
      assert.match(records[0]?.result ?? "", /^FAILED_PRECONDITION: .*poison switch/);
    });

    it("after the switch is cleared (a restart without it), a redrive applies the event once; a second one finds it done", async () => {
      await counter.restart({ MARQUEE_FAIL_CONSUMER: "" });
      const admin = await operator();
      const first = await admin.call.redriveDeadLetter({ sequence: firstLetter.sequence, reason: "fix deployed" });
      assert.equal(first.outcome, APPLIED);
      assert.deepEqual(await effects(ONE_BY_ONE), [placed[0]]);
      const again = await admin.call.redriveDeadLetter({ sequence: firstLetter.sequence, reason: "once more" });
      assert.equal(again.outcome, ALREADY_DONE);
      assert.deepEqual(await effects(ONE_BY_ONE), [placed[0]], "one effect");
      const gone = await refusal(admin.call.getDeadLetter({ sequence: firstLetter.sequence }));
      assert.equal(gone.kind, "not_found");
    });

    it("redrives to a batch handler too", async () => {
      const admin = await operator();
      const letter = await deadLettered(admin, IN_BATCHES, confirmed);
      assert.equal(
        (await admin.call.redriveDeadLetter({ sequence: letter.sequence, reason: "batch" })).outcome,
        APPLIED,
      );
      assert.deepEqual(await effects(IN_BATCHES), [confirmed]);
    });

    it("a discard removes the dead letter unhandled; a repeat, or a redrive after it, finds it done", async () => {
      const admin = await operator();
      const letter = await deadLettered(admin, ONE_BY_ONE, placed[1] ?? "");
      const discarded = await admin.call.discardDeadLetter({ sequence: letter.sequence, reason: "test order" });
      assert.equal(discarded.outcome, APPLIED);
      assert.equal(
        (await admin.call.discardDeadLetter({ sequence: letter.sequence, reason: "again" })).outcome,
        ALREADY_DONE,
      );
      assert.equal(
        (await admin.call.redriveDeadLetter({ sequence: letter.sequence, reason: "changed my mind" })).outcome,
        ALREADY_DONE,
      );
      assert.deepEqual(await effects(ONE_BY_ONE), [placed[0]], "the discarded event was never handled");
      assert.equal((await admin.call.getOverview({})).deadLetters, 0);
    });

    it("NOT_FOUND for an unknown sequence and for another service's consumer's dead letter", async () => {
      const admin = await operator();
      const headers = natsHeaders();
      headers.set("Marquee-Event-Id", randomUUID());
      headers.set("Marquee-Event-Type", OrderEvents.orderPlaced.typeName);
      headers.set("Marquee-Dead-Letter-Consumer", "wallet-on-orders");
      const theirs = await jetstream(nc).publish(deadLetterSubjectOf(namespace, "wallet-on-orders"), new Uint8Array(), {
        headers,
      });
      for (const sequence of [theirs.seq, theirs.seq + 1_000]) {
        for (const call of [
          () => admin.call.getDeadLetter({ sequence }),
          () => admin.call.redriveDeadLetter({ sequence, reason: "r" }),
          () => admin.call.discardDeadLetter({ sequence, reason: "r" }),
        ]) {
          const error = await refusal(call());
          assert.equal(error.kind, "not_found", `${sequence}: ${error.message}`);
        }
      }
      const listed = await admin.call.listDeadLetters({ consumer: "", pageSize: 0, afterSequence: 0 });
      assert.deepEqual(listed.deadLetters, [], "another service's dead letter is not listed");
      assert.ok(await jsm.streams.getMessage(deadLetterStreamOf(namespace).name, { seq: theirs.seq }), "and stays");
    });

    it("a blank reason is INVALID_ARGUMENT naming the field, before anything runs", async () => {
      const admin = await operator();
      const error = await refusal(admin.call.discardDeadLetter({ sequence: 1, reason: "   " }));
      assert.equal(error.kind, "invalid_argument");
      assert.deepEqual(
        error.violations.map((violation) => violation.field),
        ["reason"],
      );
    });
  });

  describe("the audit log", () => {
    it("lists this service's records newest first, with actor, action, target, reason and result; pages and filters by target", async () => {
      const console = await clientAs("bff-ops");
      const asOperator = bearer(await token("op-7", true));
      const admin = await operator();
      const failed = await refusal(
        console.call.discardDeadLetter({ sequence: 999_999, reason: "by console" }, { metadata: asOperator }),
      );
      assert.equal(failed.kind, "not_found");

      const { records } = await admin.call.listAuditRecords({ pageSize: 0, beforeSequence: 0, target: "" });
      const sequences = records.map((record) => record.sequence);
      assert.deepEqual(
        sequences,
        [...sequences].sort((a, b) => b - a),
        "newest first",
      );
      const [newest] = records;
      assert.ok(newest);
      assert.equal(newest.actor, "user:op-7");
      assert.equal(newest.service, "counter");
      assert.equal(newest.action, "dead-letter.discard");
      assert.equal(newest.target, "dead-letter:999999");
      assert.equal(newest.reason, "by console");
      assert.equal(newest.result, "NOT_FOUND: dead letter 999999 not found");
      assert.ok(newest.at instanceof Date);
      const results = records.map((record) => `${record.actor} ${record.action} ${record.result}`);
      assert.ok(results.includes("operator dead-letter.redrive applied"), results.join("\n"));
      assert.ok(results.includes("operator dead-letter.redrive already-done"), results.join("\n"));
      assert.ok(results.includes("operator dead-letter.discard applied"), results.join("\n"));

      const first = await admin.call.listAuditRecords({ pageSize: 2, beforeSequence: 0, target: "" });
      assert.deepEqual(
        first.records.map((record) => record.sequence),
        sequences.slice(0, 2),
      );
      const second = await admin.call.listAuditRecords({
        pageSize: 2,
        beforeSequence: first.nextBeforeSequence,
        target: "",
      });
      assert.deepEqual(
        second.records.map((record) => record.sequence),
        sequences.slice(2, 4),
      );

      const one = await admin.call.listAuditRecords({ pageSize: 0, beforeSequence: 0, target: "dead-letter:999999" });
      assert.deepEqual(
        one.records.map((record) => record.sequence),
        [newest.sequence],
      );
      assert.equal(one.nextBeforeSequence, 0);
    });

    it("nobody deletes or purges a record: not the operator's NATS user, not the service's", async () => {
      const stream = auditStreamOf(namespace).name;
      const info = await jsm.streams.info(stream);
      assert.equal(info.config.deny_delete, true);
      assert.equal(info.config.deny_purge, true);
      const first = info.state.first_seq;
      await assert.rejects(jsm.streams.deleteMessage(stream, first), /message delete not permitted/);
      await assert.rejects(jsm.streams.purge(stream), /purge not permitted/);
      const own = await connectAs(nats.url, "counter");
      try {
        const itsManager = await jetstreamManager(own, { timeout: 2_000 });
        await assert.rejects(itsManager.streams.deleteMessage(stream, first), /Permissions Violation/);
      } finally {
        await own.close();
      }
      assert.equal((await jsm.streams.info(stream)).state.messages, info.state.messages, "every record is there");
    });
  });

  describe("a service without a token verifier", () => {
    it("admits the operator certificate only: the console is refused even with an operator's token", async () => {
      await counter.restart({ MARQUEE_FAIL_CONSUMER: "", TEST_JWKS: "" });
      const console = await clientAs("bff-ops");
      const error = await refusal(console.call.getOverview({}, { metadata: bearer(await token("op-1", true)) }));
      assert.equal(error.kind, "permission_denied", error.message);
      assert.equal((await (await operator()).call.getOverview({})).service, "counter");
    });
  });
});
