import { describe, it, before, after } from "mocha";
import { connectAs } from "@marquee/platform/testing/nats-client";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import mongoose from "mongoose";
import { bearer, createClient } from "@marquee/platform";
import { eventHeaders } from "@marquee/platform/nats";
import { repoRoot } from "@marquee/platform/testing/binaries";
import { streamEvents } from "@marquee/platform/testing/streams";
import { waitFor } from "@marquee/platform/testing/wait";
import { AdminServiceClient } from "@marquee/proto/marquee/admin/v1/admin_service";
import { RebuildPhase, type ProjectionStatus } from "@marquee/proto/marquee/query/v1/query_service";
import { type Actor as Person, type PublishedShow, EVENT_NAMESPACE } from "@marquee/system-testing";
import {
  as,
  caughtUp,
  partnerOf,
  rebuild,
  REBUILD_REASON,
  rejectsWith,
  startQuerySystem,
  statusOf,
  type QueryHarness,
} from "./support.js";

const PROJECTIONS = ["my-orders", "partner-orders", "organizer-sales", "availability"];
const STREAMS = {
  orders: `${EVENT_NAMESPACE}_ORDERS`.toUpperCase(),
  inventory: `${EVENT_NAMESPACE}_INVENTORY`.toUpperCase(),
};

describe("query service: projections — redelivery, rebuild while serving, status", function () {
  this.timeout(180_000);
  let h: QueryHarness;
  let nc: NatsConnection;
  let show: PublishedShow;
  let buyers: Person[];
  let partner: Person;

  /** Everything each read model answers for this test's data (what a rebuild must reproduce). */
  async function snapshot() {
    const mine = await Promise.all(
      buyers.map(async (b) => (await h.query.listMyOrders({ pageSize: 100, pageToken: "", status: 0 }, as(b))).orders),
    );
    const partners = (await h.query.listPartnerOrders({ pageSize: 100, pageToken: "", status: 0 }, as(partner))).orders;
    const { sales } = await h.query.getShowSales({ showId: show.showId }, as(show.organizer.token));
    const { shows } = await h.query.getShowAvailability({ showIds: [show.showId] });
    return { mine, partners, sales, availability: shows };
  }

  /** The query service's audit records about `target`, newest first (as an operator reads them). */
  async function auditOf(target: string) {
    // The platform's AdminService is served by every service: the certificate to expect is query's.
    const admin = createClient(AdminServiceClient, h.system.address("query"), { serverWorkload: "query" });
    try {
      return (await admin.call.listAuditRecords({ pageSize: 200, beforeSequence: 0, target })).records;
    } finally {
      admin.close();
    }
  }

  async function allCaughtUp(): Promise<void> {
    for (const projection of PROJECTIONS) await caughtUp(h.query, projection);
  }

  async function buyAndSettle(person: Person, quantity = 1) {
    const placed = await h.market.buy(person, show, quantity);
    return h.market.settled(person, placed.orderId);
  }

  before(async () => {
    h = await startQuerySystem();
    nc = await connectAs(h.system.nats.url);
    show = await h.market.publishShow(50, 1_000);
    buyers = [await h.market.signUp("Ann"), await h.market.signUp("Bob")];
    partner = await partnerOf(h.market);
    for (const person of [...buyers, partner]) await h.market.fund(person, 20_000);
    for (const person of [...buyers, ...buyers, partner]) await buyAndSettle(person, 2);
    const first = (
      await h.market.orders.listOrders({ pageSize: 10, pageToken: "" }, { metadata: bearer(buyers[0]!.token) })
    ).orders;
    const code = first[0]?.tickets[0]?.ticketCode ?? "";
    await h.market.orders.checkInTicket({ ticketCode: code }, { metadata: bearer(show.organizer.token) });
    await h.market.orders.cancelOrder(
      { orderId: first[1]?.orderId ?? "", reason: "" },
      { metadata: bearer(buyers[0]!.token) },
    );
    // The cancellation goes on after CancelOrder answers (inventory puts the 2 seats back on sale,
    // 10 sold → 8): once the read side has that last event, a projection found caught up stays so.
    await waitFor(
      async () => {
        const { shows } = await h.query.getShowAvailability({ showIds: [show.showId] });
        const projected = shows[0]?.tiers.find((t) => t.tierId === show.tierId);
        return (await h.market.availability(show))?.sold === 8 && projected?.sold === 8;
      },
      { timeoutMs: 20_000, message: "the cancelled order's seats back on sale, in inventory and projected" },
    );
    await allCaughtUp();
  });

  after(async () => {
    await nc?.close();
    await h?.stop();
  });

  it("reports every projection: generation, its consumer's checkpoint, nothing pending, no lag", async () => {
    const { projections } = await h.query.getProjectionStatus({ projection: "" });
    assert.deepEqual(
      projections.map((p) => p.name),
      PROJECTIONS,
    );
    for (const p of projections) {
      assert.equal(p.generation, 1, p.name);
      assert.equal(p.consumer, `query-${p.name}-g1`);
      assert.ok(p.checkpoint > 0 && p.checkpoint <= p.streamLastSequence, `${p.name}: checkpoint ${p.checkpoint}`);
      assert.equal(p.pendingMessages, 0);
      assert.equal(p.lagSeconds, 0);
      assert.equal(p.rebuilding, undefined);
    }
    await rejectsWith(h.query.getProjectionStatus({ projection: "everything" }), "invalid_argument", {
      field: "projection",
    });
  });

  it("applies a redelivered event once: the same events again (same ids) change no read model", async () => {
    const before = await snapshot();
    const versions = before.mine.flat().map((o) => [o.orderId, o.version]);
    const js = jetstream(nc);
    let republished = 0;
    for (const stream of [STREAMS.orders, STREAMS.inventory]) {
      // Newest first: some arrive before the events they build on, as after a failed delivery.
      for (const event of (await streamEvents(nc, stream)).reverse()) {
        const outgoing = { ...event, occurredAt: new Date() };
        // A new Nats-Msg-Id, so JetStream stores it again; the same Marquee-Event-Id, as a redelivery has.
        await js.publish(event.subject, event.payload, { headers: eventHeaders(outgoing), msgID: randomUUID() });
        republished++;
      }
    }
    assert.ok(republished > 30, `republished ${republished} events`);
    await allCaughtUp();
    // Delivered and acknowledged: the consumers' checkpoints are at the end of their streams.
    for (const projection of ["my-orders", "availability"]) {
      const status = await statusOf(h.query, projection);
      assert.equal(status.checkpoint, status.streamLastSequence, projection);
    }
    const after = await snapshot();
    assert.deepEqual(after, before);
    assert.deepEqual(
      after.mine.flat().map((o) => [o.orderId, o.version]),
      versions,
    );
  });

  it("rebuilds my-orders while the old generation keeps answering, applies what came meanwhile, then switches", async () => {
    const [ann] = buyers as [Person];
    const countBefore = (await h.query.listMyOrders({ pageSize: 100, pageToken: "", status: 0 }, as(ann))).orders
      .length;
    const reads: { at: number; count: number }[] = [];
    let rebuilding = true;
    const reader = (async () => {
      while (rebuilding) {
        const { orders } = await h.query.listMyOrders({ pageSize: 100, pageToken: "", status: 0 }, as(ann));
        reads.push({ at: Date.now(), count: orders.length });
      }
    })();
    let placedDuring: string | undefined;
    let switchingAt = Infinity;
    let statusWhileSwitching: Promise<ProjectionStatus> | undefined;
    const messages = await rebuild(h.raw, "my-orders", (message) => {
      const phase = message.progress?.phase;
      if (phase === RebuildPhase.REBUILD_PHASE_LOADING && !placedDuring) {
        placedDuring = "placing";
        void h.market.buy(ann, show, 1).then((order) => (placedDuring = order.orderId));
      }
      if (phase === RebuildPhase.REBUILD_PHASE_SWITCHING && !statusWhileSwitching) {
        switchingAt = Date.now();
        // The old generation is dropped after a grace period: the rebuild is still under way.
        statusWhileSwitching = statusOf(h.query, "my-orders");
      }
    });
    rebuilding = false;
    await reader;

    const phases = [...new Set(messages.map((m) => m.progress?.phase))];
    assert.deepEqual(phases, [
      RebuildPhase.REBUILD_PHASE_STARTING,
      RebuildPhase.REBUILD_PHASE_LOADING,
      RebuildPhase.REBUILD_PHASE_CATCHING_UP,
      RebuildPhase.REBUILD_PHASE_SWITCHING,
      RebuildPhase.REBUILD_PHASE_DONE,
    ]);
    const loaded = messages.filter((m) => m.progress?.phase === RebuildPhase.REBUILD_PHASE_LOADING).at(-1)?.progress;
    assert.ok(loaded && loaded.total > 0 && loaded.done === loaded.total, "loading reached the end of the event store");
    // Four users' orders of four events, a check-in, a cancellation, the partner's order skipped.
    assert.ok((loaded?.eventsApplied ?? 0) >= 19, `applied ${loaded?.eventsApplied} events`);
    assert.equal(messages.at(-1)?.progress?.generation, 2);

    assert.ok(reads.length > 0 && reads.some((r) => r.at < switchingAt), "reads were answered during the rebuild");
    for (const [i, r] of reads.entries()) {
      assert.ok(r.count >= countBefore && r.count <= countBefore + 1, `read ${i}: ${r.count} orders`);
    }
    // The order placed during the rebuild is there after the switch, settled.
    const placed = await waitFor(() => (placedDuring && placedDuring !== "placing" ? placedDuring : undefined));
    const settled = await h.market.settled(ann, placed);
    const { order } = await h.query.getMyOrder({ orderId: placed, minVersion: settled.version }, as(ann));
    assert.equal(order?.status, settled.status);
    const after = await h.query.listMyOrders({ pageSize: 100, pageToken: "", status: 0 }, as(ann));
    assert.equal(after.orders.length, countBefore + 1);

    const during = await statusWhileSwitching;
    assert.equal(during?.rebuilding?.generation, 2);
    assert.equal(during?.rebuilding?.phase, RebuildPhase.REBUILD_PHASE_SWITCHING);
    const status = await statusOf(h.query, "my-orders");
    assert.deepEqual([status.generation, status.consumer], [2, "query-my-orders-g2"]);
    assert.match(status.lastRebuild, /generation 2 built/);
    assert.equal(status.rebuilding, undefined);
    const mongo = await mongoose.createConnection(h.system.env("query").MONGO_URL ?? "").asPromise();
    try {
      const names = (await mongo.listCollections()).map((c) => c.name);
      assert.ok(names.includes("my_orders_g2") && !names.includes("my_orders_g1"), names.join(", "));
    } finally {
      await mongo.close();
    }
  });

  it("rebuilds every other projection to the same answers (inventory replayed from its stream)", async () => {
    await allCaughtUp();
    const before = await snapshot();
    for (const projection of ["partner-orders", "organizer-sales", "availability"]) {
      const messages = await rebuild(h.raw, projection);
      assert.equal(messages.at(-1)?.progress?.phase, RebuildPhase.REBUILD_PHASE_DONE, projection);
      assert.equal((await statusOf(h.query, projection)).generation, 2, projection);
    }
    await allCaughtUp();
    assert.deepEqual(await snapshot(), before);
  });

  it("lets a second caller follow the rebuild already running; the audit log has both: applied, then already done", async () => {
    const [one, two] = await Promise.all([
      rebuild(h.raw, "organizer-sales", undefined, "sales look stale"),
      rebuild(h.raw, "organizer-sales", undefined, "same here"),
    ]);
    const generations = [one, two].map((messages) => messages.at(-1)?.progress);
    assert.deepEqual(
      generations.map((p) => [p?.generation, p?.phase]),
      [
        [3, RebuildPhase.REBUILD_PHASE_DONE],
        [3, RebuildPhase.REBUILD_PHASE_DONE],
      ],
    );
    // Newest first: the two calls above, after the earlier rebuild of this projection.
    const records = (await auditOf("organizer-sales")).slice(0, 2).reverse();
    assert.deepEqual(
      records.map((r) => [r.service, r.action, r.target, r.actor]),
      [
        ["query", "projection.rebuild", "organizer-sales", "operator"],
        ["query", "projection.rebuild", "organizer-sales", "operator"],
      ],
    );
    assert.deepEqual(
      records.map((r) => [r.reason, r.result]).sort(),
      [
        ["sales look stale", "applied"],
        ["same here", "already-done"],
      ].sort(),
    );
    assert.ok(records.every((r) => r.at && r.sequence > 0));
  });

  it("refuses a rebuild without a reason (INVALID_ARGUMENT naming it): nothing starts, nothing is recorded", async () => {
    const before = await statusOf(h.query, "partner-orders");
    const recorded = (await auditOf("partner-orders")).length;
    for (const reason of ["", "   "]) {
      await rejectsWith(rebuild(h.raw, "partner-orders", undefined, reason), "invalid_argument", { field: "reason" });
    }
    const after = await statusOf(h.query, "partner-orders");
    assert.deepEqual([after.generation, after.rebuilding], [before.generation, undefined]);
    assert.equal((await auditOf("partner-orders")).length, recorded);
    // The rebuilds earlier in this file were each recorded, with the reason they gave.
    assert.ok(recorded > 0 && (await auditOf("partner-orders")).every((r) => r.reason === REBUILD_REASON));
  });

  it("refuses an unknown projection with INVALID_ARGUMENT naming it", async () => {
    await rejectsWith(rebuild(h.raw, "everything"), "invalid_argument", { field: "projection" });
  });

  describe("npm run rebuild (the CLI)", () => {
    const cli = path.join(repoRoot(), "services", "query", "dist", "src", "bin", "rebuild.js");
    const run = (...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(process.execPath, [cli, ...args], { timeout: 60_000 }, (error, stdout, stderr) =>
          resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        ),
      );

    it("draws the progress (done/total, rate, ETA) and exits 0 when the rebuild is done", async () => {
      const { code, stdout, stderr } = await run(
        "availability",
        "--reason",
        "availability drifted",
        "--addr",
        h.system.address("query"),
      );
      assert.equal(code, 0, stderr);
      const lines = stdout.trim().split("\n");
      assert.match(lines.find((l) => l.startsWith("loading history")) ?? "", /\[[#-]{30}\]\s+\d+%\s+[\d,]+\/[\d,]+/);
      assert.match(stdout, /^done +\[#{30}\] +100%/m);
      assert.equal(lines.at(-1), "availability: rebuilt");
      assert.equal((await statusOf(h.query, "availability")).generation, 3);
    });

    it("exits 1 with the reason when the rebuild is refused, 2 without a projection or a reason", async () => {
      const refused = await run("everything", "--reason", "why not", "--addr", h.system.address("query"));
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /everything: rebuild failed: invalid projection: must be one of my-orders/);
      assert.equal((await run()).code, 2);
      const unexplained = await run("availability", "--addr", h.system.address("query"));
      assert.equal(unexplained.code, 2);
      assert.match(unexplained.stderr, /--reason/);
    });
  });

  describe("after the rebuilds (run last)", () => {
    it("keeps projecting after the rebuilds and a restart: a new purchase shows in every read model", async () => {
      await h.system.services.get("query")?.restart();
      const generations = (await h.query.getProjectionStatus({ projection: "" })).projections.map((p) => p.generation);
      assert.deepEqual(generations, [2, 2, 3, 3]);
      const [, bob] = buyers as [Person, Person];
      const settled = await buyAndSettle(bob, 3);
      const { order } = await h.query.getMyOrder({ orderId: settled.orderId, minVersion: settled.version }, as(bob));
      assert.equal(order?.tickets.length, 3);
      await allCaughtUp();
      const sold = (await h.market.availability(show))?.sold;
      const { shows } = await h.query.getShowAvailability({ showIds: [show.showId] });
      assert.equal(shows[0]?.tiers[0]?.sold, sold);
      const { sales } = await h.query.getShowSales({ showId: show.showId }, as(show.organizer.token));
      assert.equal((sales?.totals?.ticketsSold ?? 0) - (sales?.totals?.ticketsCancelled ?? 0), sold);
    });
  });
});
