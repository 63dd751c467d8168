import { describe, it, before, after, afterEach } from "mocha";
import assert from "node:assert/strict";
import { DomainError, type ErrorKind } from "@marquee/platform";
import { createClient } from "@marquee/platform/grpc-client";
import { issuedIdentity } from "@marquee/platform/testing/tls";
import { waitFor } from "@marquee/platform/testing/wait";
import { AdminServiceClient } from "@marquee/proto/marquee/admin/v1/admin_service";
import { ActionOutcome } from "@marquee/proto/marquee/admin/v1/audit";
import {
  OrdersAdminServiceClient,
  SagaKind,
  SagaState,
  StepOutcome,
  type Saga,
  type SagaStep,
} from "@marquee/proto/marquee/orders/v1/orders_admin_service";
import { OrderStatus } from "@marquee/proto/marquee/orders/v1/orders_service";
import {
  marketplace,
  query,
  startSystem,
  type Marketplace,
  type Person,
  type PublishedShow,
  type System,
} from "@marquee/system-testing";

// Orders' part of the operations console (issue 15): a stuck purchase seen as a saga (ListSagas),
// its steps as a timeline (GetSagaTimeline), parked (FailSaga), run again (RetrySagaNow), given up
// (CompensateSaga), and any order as of a moment (InspectOrderAsOf). The faults: the wallet's or
// inventory's PostgreSQL taken away behind its proxy (the service answers UNAVAILABLE at once). The
// test process holds the operator certificate (mocha-hooks); the access matrix test covers every
// other caller.
const SYSTEM = ["accounts", "catalog", "inventory", "wallet", "orders"];
const PRICE = 1_000;
const CAPACITY = 5;
const FUNDS = PRICE * 4;
const TRACE_ID = /^[0-9a-f]{32}$/;
const { ACTION_OUTCOME_APPLIED: APPLIED, ACTION_OUTCOME_ALREADY_DONE: ALREADY_DONE } = ActionOutcome;
const { STEP_OUTCOME_SUCCEEDED: SUCCEEDED, STEP_OUTCOME_DECLINED: DECLINED } = StepOutcome;
const { ORDER_STATUS_PENDING: PENDING, ORDER_STATUS_REJECTED: REJECTED } = OrderStatus;

/** A rejected call's kind and the fields it names. */
async function refusal(call: Promise<unknown>): Promise<{ kind: ErrorKind; fields: string[]; reason?: string }> {
  try {
    await call;
  } catch (error) {
    assert.ok(error instanceof DomainError, String(error));
    return {
      kind: error.kind,
      fields: error.violations.map((v) => v.field),
      ...(error.reason ? { reason: error.reason } : {}),
    };
  }
  assert.fail("the call was answered, not refused");
}

describe("orders' saga console: see, park, retry and give up a stuck purchase; any order as of a moment", function () {
  this.timeout(180_000);
  let system: System;
  let market: Marketplace;
  let ops: ReturnType<typeof createClient<OrdersAdminServiceClient>>["call"];
  let admin: ReturnType<typeof createClient<AdminServiceClient>>["call"];

  before(async () => {
    system = await startSystem(SYSTEM, {
      // Quick retries, and room for many of them before a purchase would be given up by itself.
      env: { SAGA_MODE: "orchestration", SAGA_MAX_BACKOFF_MS: "300", SAGA_MAX_ATTEMPTS: "1000" },
      proxiedPostgres: ["wallet", "inventory"],
    });
    market = marketplace(system);
    const identity = issuedIdentity("operator");
    ops = createClient(OrdersAdminServiceClient, system.address("orders"), { identity }).call;
    admin = createClient(AdminServiceClient, system.address("orders"), { identity, serverWorkload: "orders" }).call;
  });

  after(async () => {
    await system?.stop();
  });

  afterEach(async () => {
    // A failed case must not leave a database away for the next one.
    await Promise.all([up("wallet"), up("inventory")]);
  });

  /** The mode the saga-running services were last (re)started in: the choreography cases restart them. */
  let mode: "orchestration" | "choreography" = "orchestration";
  const sagaMode = async (wanted: typeof mode): Promise<void> => {
    if (mode === wanted) return;
    await Promise.all(
      ["inventory", "wallet", "orders"].map((name) => system.service(name).restart({ SAGA_MODE: wanted })),
    );
    mode = wanted;
  };

  const down = (service: string): Promise<void> => system.databaseDown(service);
  const up = (service: string): Promise<void> => system.databaseUp(service);

  const sagaOf = async (orderId: string, state = SagaState.SAGA_STATE_UNSPECIFIED): Promise<Saga | undefined> =>
    (await ops.listSagas({ state, minAgeMs: 0, minAttempts: 0, pageSize: 200 })).sagas.find(
      (saga) => saga.orderId === orderId,
    );
  const timeline = (orderId: string) => ops.getSagaTimeline({ orderId });
  const failedAttempts = (steps: SagaStep[], step: string) =>
    steps.filter((s) => s.step === step && s.outcome === StepOutcome.STEP_OUTCOME_FAILED);
  const sagaRows = async (orderId: string) =>
    (await query(system.databaseUrl("orders"), "SELECT kind FROM sagas WHERE order_id = $1", [orderId])).length;
  const seatsBack = (show: PublishedShow, expected: number) =>
    waitFor(async () => (await market.availability(show))?.available === expected, {
      timeoutMs: 20_000,
      message: `${expected} seats on sale`,
    });
  /** Every seat of the show on sale again: nothing held, nothing sold. */
  const allOnSale = (show: PublishedShow) =>
    waitFor(
      async () => {
        const tier = await market.availability(show);
        return tier?.available === CAPACITY && tier.held === 0 && tier.sold === 0;
      },
      { timeoutMs: 20_000, message: "every seat back on sale" },
    );
  /** What the wallet did with the order, read from its database directly (so also while it is away). */
  const walletRecord = async (orderId: string) => {
    const url = system.databaseUrl("wallet");
    const kinds = await query<{ kind: string }>(
      url,
      "SELECT kind FROM transactions WHERE order_id = $1 ORDER BY kind",
      [orderId],
    );
    const voided = await query(url, "SELECT 1 FROM voided_orders WHERE order_id = $1", [orderId]);
    return { kinds: kinds.map((row) => row.kind), voided: voided.length > 0 };
  };
  const succeeded = (steps: SagaStep[], step: string) =>
    steps.filter((s) => s.step === step && s.outcome === SUCCEEDED);
  /** Orchestration: the wallet's database away, then a purchase: its seats held (recorded), its charge failing. */
  const stuckAtTheCharge = async (buyer: Person, show: PublishedShow, quantity: number) => {
    await down("wallet");
    const placed = await market.buy(buyer, show, quantity);
    await waitFor(async () => failedAttempts((await timeline(placed.orderId)).steps, "charge-wallet").length > 0, {
      message: "the seats held and a failed charge on the timeline",
    });
    return placed;
  };
  const auditOf = async (orderId: string) =>
    (await admin.listAuditRecords({ pageSize: 50, beforeSequence: 0, target: orderId })).records
      .map((r) => [r.action, r.result, r.reason, r.actor])
      .reverse(); // oldest first

  it("refuses a blank reason, a bad page size, an unknown order and a caller that is not an operator", async () => {
    const unknown = "00000000-0000-4000-8000-000000000000";
    assert.deepEqual(await refusal(ops.retrySagaNow({ orderId: unknown, reason: "  " })), {
      kind: "invalid_argument",
      fields: ["reason"],
    });
    assert.deepEqual((await refusal(ops.listSagas({ state: 0, minAgeMs: 0, minAttempts: 0, pageSize: 201 }))).fields, [
      "page_size",
    ]);
    assert.deepEqual((await refusal(ops.listSagas({ state: 0, minAgeMs: -1, minAttempts: 0, pageSize: 0 }))).fields, [
      "min_age_ms",
    ]);
    assert.equal((await refusal(ops.getSagaTimeline({ orderId: unknown }))).kind, "not_found");
    assert.equal((await refusal(ops.failSaga({ orderId: unknown, reason: "stuck" }))).kind, "not_found");
    assert.equal((await refusal(ops.inspectOrderAsOf({ orderId: unknown }))).kind, "not_found");
    // A workload that is not an operator (bff-web) is refused before any handler runs.
    const web = createClient(OrdersAdminServiceClient, system.address("orders"), {
      identity: issuedIdentity("bff-web"),
    });
    try {
      assert.equal(
        (await refusal(web.call.listSagas({ state: 0, minAgeMs: 0, minAttempts: 0, pageSize: 0 }))).kind,
        "permission_denied",
      );
      assert.equal(
        (await refusal(web.call.compensateSaga({ orderId: unknown, reason: "x" }))).kind,
        "permission_denied",
      );
    } finally {
      web.close();
    }
  });

  it("wallet down: the purchase is RETRYING with its timeline; parked, it stops; given up, it is compensated; retried, it confirms once", async () => {
    const show = await market.publishShow(CAPACITY, PRICE);
    const buyer: Person = await market.buyer(FUNDS);
    await down("wallet");
    const stuck = await market.buy(buyer, show, 2); // to park, then retry
    const other = await market.buy(buyer, show, 1); // to give up
    await seatsBack(show, CAPACITY - 3); // both held

    // ListSagas: RETRYING with its attempts and the wallet's error; its order PENDING.
    const retrying = await waitFor(
      async () => {
        const saga = await sagaOf(stuck.orderId, SagaState.SAGA_STATE_RETRYING);
        return saga && saga.attempts >= 2 ? saga : undefined;
      },
      { message: "the stuck purchase listed RETRYING with 2+ attempts" },
    );
    assert.equal(retrying.kind, SagaKind.SAGA_KIND_PURCHASE);
    assert.equal(retrying.orderStatus, OrderStatus.ORDER_STATUS_PENDING);
    assert.notEqual(retrying.lastError, "", "the last error is shown");
    const minAttempts = await ops.listSagas({ state: 0, minAgeMs: 0, minAttempts: 1_000, pageSize: 0 });
    assert.equal(minAttempts.sagas.length, 0, "min_attempts filters");
    const minAge = await ops.listSagas({ state: 0, minAgeMs: 3_600_000, minAttempts: 0, pageSize: 0 });
    assert.equal(minAge.sagas.length, 0, "min_age_ms filters");

    // The timeline: the seats held once, the charge failing run after run, each with its error and trace id.
    const stuckTimeline = await waitFor(
      async () => {
        const read = await timeline(stuck.orderId);
        return failedAttempts(read.steps, "charge-wallet").length >= 2 ? read : undefined;
      },
      { message: "two failed charge attempts on the timeline" },
    );
    assert.equal(stuckTimeline.orderStatus, OrderStatus.ORDER_STATUS_PENDING);
    const [reserve] = stuckTimeline.steps;
    assert.ok(reserve, "steps recorded");
    assert.deepEqual(
      [reserve.step, reserve.outcome, reserve.attempt],
      ["reserve-seats", StepOutcome.STEP_OUTCOME_SUCCEEDED, 1],
    );
    const charges = failedAttempts(stuckTimeline.steps, "charge-wallet");
    assert.ok(charges.length >= 2, `failed charge attempts: ${charges.length}`);
    assert.deepEqual(
      charges.map((c) => c.attempt),
      [...charges.map((c) => c.attempt)].sort((a, b) => a - b),
      "in the order they started",
    );
    for (const step of [reserve, ...charges]) {
      assert.match(step.traceId, TRACE_ID);
      assert.ok(step.startedAt && step.endedAt && step.endedAt >= step.startedAt);
    }
    assert.ok(
      charges.every((c) => c.error !== ""),
      "each failed attempt has its error",
    );
    assert.deepEqual(
      stuckTimeline.sagas.map((s) => [s.kind, s.state]),
      [[SagaKind.SAGA_KIND_PURCHASE, SagaState.SAGA_STATE_RETRYING]],
    );

    // FailSaga parks it; a repeat is ALREADY_DONE.
    const parked = await ops.failSaga({
      orderId: stuck.orderId,
      reason: "wallet database down; hold until it is back",
    });
    assert.equal(parked.outcome, APPLIED);
    assert.equal(parked.audit?.action, "saga.fail");
    assert.equal((await ops.failSaga({ orderId: stuck.orderId, reason: "again" })).outcome, ALREADY_DONE);
    const parkedSaga = await sagaOf(stuck.orderId, SagaState.SAGA_STATE_FAILED);
    assert.ok(parkedSaga, "listed FAILED once parked");
    // The worker keeps running the other stuck purchase (its attempts grow) and never the parked one.
    const otherBefore = (await sagaOf(other.orderId))?.attempts ?? 0;
    await waitFor(async () => ((await sagaOf(other.orderId))?.attempts ?? 0) >= otherBefore + 3, {
      message: "the worker to run the other stuck purchase three more times",
    });
    assert.equal((await sagaOf(stuck.orderId))?.attempts, parkedSaga.attempts, "no attempt while parked");

    // CompensateSaga gives the other purchase up: REJECTED SAGA_FAILED, its seats back at once.
    const given = await ops.compensateSaga({ orderId: other.orderId, reason: "buyer called: give it up" });
    assert.equal(given.outcome, APPLIED);
    const rejected = await market.order(buyer, other.orderId);
    assert.equal(rejected.status, OrderStatus.ORDER_STATUS_REJECTED);
    assert.equal(rejected.rejectionReason, "SAGA_FAILED");
    await seatsBack(show, CAPACITY - 2);
    assert.equal((await ops.compensateSaga({ orderId: other.orderId, reason: "again" })).outcome, ALREADY_DONE);
    // The seats are back once inventory released them; orders records the step when the call returns.
    const released = (steps: SagaStep[]) =>
      steps.some(
        (s) =>
          s.saga === SagaKind.SAGA_KIND_COMPENSATE &&
          s.step === "release-seats" &&
          s.outcome === StepOutcome.STEP_OUTCOME_SUCCEEDED,
      );
    const otherSteps = await waitFor(
      async () => {
        const { steps } = await timeline(other.orderId);
        return released(steps) ? steps : undefined;
      },
      { message: "the compensation's release-seats step on the timeline" },
    );
    const giveUp = otherSteps.find((s) => s.step === "give-up");
    assert.ok(giveUp, "the give-up is on the timeline");
    assert.equal(giveUp.outcome, StepOutcome.STEP_OUTCOME_DECLINED);
    assert.match(giveUp.error, /operator: buyer called/);

    // The wallet back: still parked, the purchase waits; RetrySagaNow runs it now; a repeat is ALREADY_DONE.
    await up("wallet");
    assert.equal((await market.order(buyer, stuck.orderId)).status, OrderStatus.ORDER_STATUS_PENDING);
    const retried = await ops.retrySagaNow({ orderId: stuck.orderId, reason: "wallet database is back" });
    assert.equal(retried.outcome, APPLIED);
    assert.equal((await ops.retrySagaNow({ orderId: stuck.orderId, reason: "again" })).outcome, ALREADY_DONE);
    const confirmed = await market.settled(buyer, stuck.orderId);
    assert.equal(confirmed.status, OrderStatus.ORDER_STATUS_CONFIRMED);
    assert.equal((await ops.retrySagaNow({ orderId: stuck.orderId, reason: "again" })).outcome, ALREADY_DONE);
    assert.equal(
      (await refusal(ops.compensateSaga({ orderId: stuck.orderId, reason: "too late" }))).reason,
      "NOT_PENDING",
      "a confirmed order is the buyer's to cancel",
    );
    // The other purchase's compensation finishes too (the refund was owed while the wallet was down).
    await waitFor(async () => (await sagaRows(other.orderId)) === 0, { message: "the compensation to finish" });
    assert.equal(await market.balance(buyer), FUNDS - 2 * PRICE, "charged once, for the confirmed order only");

    // The settled purchase's timeline is kept: the charge succeeded after the failed attempts, then the confirmation.
    const done = await timeline(stuck.orderId);
    assert.equal(done.orderStatus, OrderStatus.ORDER_STATUS_CONFIRMED);
    assert.deepEqual(done.sagas, [], "no saga left");
    assert.deepEqual(
      done.steps.filter((s) => s.outcome === StepOutcome.STEP_OUTCOME_SUCCEEDED).map((s) => s.step),
      ["reserve-seats", "charge-wallet", "confirm-order"],
    );
    assert.ok(failedAttempts(done.steps, "charge-wallet").length >= charges.length);

    // InspectOrderAsOf: nothing before it was placed, PENDING with the seats held before the charge, CONFIRMED now.
    const now = await ops.inspectOrderAsOf({ orderId: stuck.orderId });
    assert.equal(now.order?.status, OrderStatus.ORDER_STATUS_CONFIRMED);
    assert.deepEqual(
      now.events.map((e) => e.type),
      ["OrderPlaced", "OrderSeatsHeld", "OrderPaid", "OrderConfirmed"],
    );
    const [placedAt, heldAt, paidAt] = now.events.map((e) => e.at?.getTime() ?? 0);
    assert.ok(placedAt && heldAt && paidAt);
    const between = await ops.inspectOrderAsOf({ orderId: stuck.orderId, at: new Date(heldAt + 1) });
    assert.ok(heldAt + 1 < paidAt, "a moment between the hold and the charge");
    assert.equal(between.order?.status, OrderStatus.ORDER_STATUS_PENDING);
    assert.equal(between.order?.total?.amountMinor, 2 * PRICE, "the seats held");
    assert.equal(between.order?.tickets.length, 0);
    const before = await ops.inspectOrderAsOf({ orderId: stuck.orderId, at: new Date(placedAt - 1) });
    assert.equal(before.order, undefined, "not placed yet");
    assert.equal(before.events.length, 4, "the marks all the same");

    // Every action is in the audit log, with its reason and result (repeats and refusals too).
    const records = await auditOf(stuck.orderId);
    assert.deepEqual(
      records.map(([action, result]) => [action, result?.startsWith("FAILED_PRECONDITION") ? "refused" : result]),
      [
        ["saga.fail", "applied"],
        ["saga.fail", "already-done"],
        ["saga.retry", "applied"],
        ["saga.retry", "already-done"],
        ["saga.retry", "already-done"],
        ["saga.compensate", "refused"],
      ],
    );
    assert.deepEqual(records[0]?.slice(2), ["wallet database down; hold until it is back", "operator"]);
    assert.deepEqual(
      (await auditOf(other.orderId)).map(([action, result]) => [action, result]),
      [
        ["saga.compensate", "applied"],
        ["saga.compensate", "already-done"],
      ],
    );
  });

  it("charged, then inventory down: CompensateSaga rejects it SAGA_FAILED, the charge refunded at once, the seats back once inventory is", async () => {
    const show = await market.publishShow(CAPACITY, PRICE);
    const buyer = await market.buyer(FUNDS);
    // The wallet away until the seats are held; then inventory away and the wallet back: the charge
    // goes through and the confirmation cannot (it is retried, run after run).
    const placed = await stuckAtTheCharge(buyer, show, 2);
    const { orderId } = placed;
    await down("inventory");
    await up("wallet");
    const stuck = await waitFor(
      async () => {
        const read = await timeline(orderId);
        const charged = succeeded(read.steps, "charge-wallet").length === 1;
        return charged && failedAttempts(read.steps, "confirm-order").length >= 2 ? read : undefined;
      },
      { message: "the charge through and two failed confirmations on the timeline" },
    );
    assert.equal(stuck.orderStatus, PENDING);
    assert.deepEqual(
      stuck.sagas.map((s) => [s.kind, s.state]),
      [[SagaKind.SAGA_KIND_PURCHASE, SagaState.SAGA_STATE_RETRYING]],
    );
    assert.notEqual(stuck.sagas[0]?.lastError, "", "the confirmation's error is shown");
    assert.deepEqual(succeeded(stuck.steps, "confirm-order"), [], "never confirmed");
    assert.deepEqual(
      (await ops.inspectOrderAsOf({ orderId })).events.map((e) => e.type),
      ["OrderPlaced", "OrderSeatsHeld", "OrderPaid"],
      "paid, not confirmed",
    );
    assert.equal(await market.balance(buyer), FUNDS - 2 * PRICE, "charged");
    assert.deepEqual(await walletRecord(orderId), { kinds: ["CHARGE"], voided: false });

    // Given up: REJECTED SAGA_FAILED at once; the refund does not wait for inventory.
    const reason = "inventory database down after the charge: give the buyer's money back";
    const given = await ops.compensateSaga({ orderId, reason });
    assert.equal(given.outcome, APPLIED);
    assert.deepEqual(
      [given.audit?.action, given.audit?.target, given.audit?.reason, given.audit?.result],
      ["saga.compensate", orderId, reason, "applied"],
    );
    const rejected = await market.order(buyer, orderId);
    assert.equal(rejected.status, REJECTED);
    assert.equal(rejected.rejectionReason, "SAGA_FAILED");
    assert.equal(rejected.tickets.length, 0, "no ticket issued");
    await waitFor(async () => (await market.balance(buyer)) === FUNDS, {
      message: "the charge refunded while inventory is down",
    });
    // The release is owed: the compensation saga retries it while inventory is down.
    const owed = await waitFor(
      async () => {
        const read = await timeline(orderId);
        return failedAttempts(read.steps, "release-seats").length >= 2 ? read : undefined;
      },
      { message: "two failed releases on the timeline" },
    );
    assert.deepEqual(
      owed.sagas.map((s) => [s.kind, s.state]),
      [[SagaKind.SAGA_KIND_COMPENSATE, SagaState.SAGA_STATE_RETRYING]],
    );
    assert.equal((await ops.compensateSaga({ orderId, reason: "again" })).outcome, ALREADY_DONE);

    // Inventory back: the compensation finishes by itself; the seats are on sale, the money back once.
    await up("inventory");
    await allOnSale(show);
    await waitFor(async () => (await sagaRows(orderId)) === 0, { message: "the compensation to finish" });
    assert.equal(await market.balance(buyer), FUNDS, "refunded exactly once");
    assert.deepEqual(await walletRecord(orderId), { kinds: ["CHARGE", "REFUND"], voided: false });
    const after = await market.order(buyer, orderId);
    assert.equal(after.status, REJECTED);
    assert.equal(after.version, rejected.version, "nothing recorded after the rejection");

    // The timeline: held, charged, the confirmation failing; the operator's give-up; then the compensations.
    const done = await timeline(orderId);
    assert.equal(done.orderStatus, REJECTED);
    assert.deepEqual(done.sagas, [], "no saga left");
    const giveUpAt = done.steps.findIndex((s) => s.step === "give-up");
    const giveUp = done.steps[giveUpAt];
    assert.ok(giveUp, "the give-up is on the timeline");
    assert.deepEqual([giveUp.saga, giveUp.outcome], [SagaKind.SAGA_KIND_PURCHASE, DECLINED]);
    assert.match(giveUp.error, /operator: inventory database down after the charge/);
    const purchase = done.steps.filter((s) => s.saga === SagaKind.SAGA_KIND_PURCHASE && s.step !== "give-up");
    assert.deepEqual(
      purchase.filter((s) => s.outcome === SUCCEEDED).map((s) => s.step),
      ["reserve-seats", "charge-wallet"],
    );
    assert.ok(purchase.every((s) => s.outcome !== DECLINED));
    const compensations = done.steps.filter((s) => s.saga === SagaKind.SAGA_KIND_COMPENSATE);
    assert.ok(
      done.steps.findIndex((s) => s.saga === SagaKind.SAGA_KIND_COMPENSATE) > giveUpAt,
      "the compensations follow the give-up",
    );
    assert.ok(failedAttempts(compensations, "release-seats").length >= 2);
    assert.deepEqual(
      compensations.filter((s) => s.step === "release-seats").at(-1)?.outcome,
      SUCCEEDED,
      "the seats released",
    );
    const refunds = compensations.filter((s) => s.step === "refund");
    assert.ok(refunds.length > 0 && refunds.every((s) => s.outcome === SUCCEEDED), "refunded, never failing");
    for (const step of compensations) {
      assert.match(step.traceId, TRACE_ID);
      assert.ok(step.attempt >= 1);
    }

    assert.deepEqual(await auditOf(orderId), [
      ["saga.compensate", "applied", reason, "operator"],
      ["saga.compensate", "already-done", "again", "operator"],
    ]);
  });

  it("a compensation failing behind paused databases, parked: RetrySagaNow once they are back runs it, and it finishes", async () => {
    await sagaMode("orchestration");
    const show = await market.publishShow(CAPACITY, PRICE);
    const buyer = await market.buyer(FUNDS);
    const { orderId } = await stuckAtTheCharge(buyer, show, 2);
    await down("inventory");
    const given = await ops.compensateSaga({ orderId, reason: "both databases down: give it up" });
    assert.equal(given.outcome, APPLIED);
    assert.equal((await market.order(buyer, orderId)).status, REJECTED);

    // The refund (wallet) and the release (inventory) fail run after run.
    const failingRuns = await waitFor(
      async () => {
        const saga = await sagaOf(orderId, SagaState.SAGA_STATE_RETRYING);
        return saga && saga.attempts >= 2 ? saga : undefined;
      },
      { message: "the compensation failing run after run" },
    );
    assert.equal(failingRuns.kind, SagaKind.SAGA_KIND_COMPENSATE);
    assert.equal(failingRuns.orderStatus, REJECTED);
    assert.notEqual(failingRuns.lastError, "");
    // Parked, nothing but an operator runs it again: whatever finishes it is the retry.
    assert.equal((await ops.failSaga({ orderId, reason: "stop hammering the databases" })).outcome, APPLIED);
    const parked = await waitFor(async () => sagaOf(orderId, SagaState.SAGA_STATE_FAILED), {
      message: "the compensation parked",
    });
    // A run in progress when it was parked finishes (and fails): then every run's steps are written.
    const failing = await waitFor(
      async () => {
        const steps = (await timeline(orderId)).steps.filter((s) => s.saga === SagaKind.SAGA_KIND_COMPENSATE);
        return failedAttempts(steps, "release-seats").length === parked.attempts ? steps : undefined;
      },
      { message: "each run's failed release on the timeline" },
    );
    assert.equal(failedAttempts(failing, "refund").length, parked.attempts, "and the refund");
    assert.deepEqual(await walletRecord(orderId), { kinds: [], voided: false }, "not voided yet");

    await Promise.all([up("wallet"), up("inventory")]);
    assert.equal((await sagaOf(orderId, SagaState.SAGA_STATE_FAILED))?.attempts, parked.attempts, "still parked");
    const retried = await ops.retrySagaNow({ orderId, reason: "databases are back: compensate now" });
    assert.equal(retried.outcome, APPLIED);
    await waitFor(async () => (await sagaRows(orderId)) === 0, { message: "the compensation to finish" });

    // Outcomes: the seats back on sale, the order voided at the wallet (never charged), the buyer's money untouched.
    await allOnSale(show);
    assert.deepEqual(await walletRecord(orderId), { kinds: [], voided: true });
    assert.equal(await market.balance(buyer), FUNDS);
    // The run the retry started: the one after the last failed one, both compensations done.
    const { steps, sagas } = await timeline(orderId);
    assert.deepEqual(sagas, []);
    for (const name of ["release-seats", "refund"]) {
      const last = steps.filter((s) => s.saga === SagaKind.SAGA_KIND_COMPENSATE && s.step === name).at(-1);
      assert.ok(last, name);
      assert.equal(last.outcome, SUCCEEDED, name);
      assert.equal(last.attempt, parked.attempts + 1, `${name}: the run after the last failed one`);
    }
    assert.equal((await ops.retrySagaNow({ orderId, reason: "again" })).outcome, ALREADY_DONE, "nothing left");
    assert.deepEqual(
      (await auditOf(orderId)).map(([action, result]) => [action, result]),
      [
        ["saga.compensate", "applied"],
        ["saga.fail", "applied"],
        ["saga.retry", "applied"],
        ["saga.retry", "already-done"],
      ],
    );
  });

  it("choreography: orders' reactions are the purchase's steps on its timeline", async () => {
    await sagaMode("choreography");
    const show = await market.publishShow(CAPACITY, PRICE);
    const buyer = await market.buyer(FUNDS);
    const placed = await market.buy(buyer, show, 1);
    assert.equal((await market.settled(buyer, placed.orderId)).status, OrderStatus.ORDER_STATUS_CONFIRMED);
    const { steps, sagas, orderStatus } = await timeline(placed.orderId);
    assert.equal(orderStatus, OrderStatus.ORDER_STATUS_CONFIRMED);
    assert.deepEqual(sagas, [], "the deadline went with the confirmation");
    // The wallet's answer may reach orders before inventory's (a failed attempt, redelivered): the
    // successes are the three steps, in order, each with the delivery that made it.
    const succeeded = steps.filter((s) => s.outcome === StepOutcome.STEP_OUTCOME_SUCCEEDED);
    assert.deepEqual(
      succeeded.map((s) => [s.saga, s.step]),
      [
        [SagaKind.SAGA_KIND_PURCHASE, "reserve-seats"],
        [SagaKind.SAGA_KIND_PURCHASE, "charge-wallet"],
        [SagaKind.SAGA_KIND_PURCHASE, "confirm-order"],
      ],
    );
    for (const step of steps) {
      assert.match(step.traceId, TRACE_ID);
      assert.ok(step.attempt >= 1);
      if (step.outcome !== StepOutcome.STEP_OUTCOME_SUCCEEDED) {
        assert.equal(step.outcome, StepOutcome.STEP_OUTCOME_FAILED, `${step.step}: ${step.error}`);
        assert.notEqual(step.error, "");
      }
    }
  });

  it("choreography: a purchase stuck at the charge (wallet's database paused) given up by CompensateSaga: REJECTED SAGA_FAILED, its seats back, no money moved", async () => {
    await sagaMode("choreography");
    const show = await market.publishShow(CAPACITY, PRICE);
    const buyer = await market.buyer(FUNDS);
    await down("wallet");
    const { orderId } = await market.buy(buyer, show, 2);
    // Inventory held the seats and orders recorded it; the wallet's consumer cannot charge.
    const held = await waitFor(
      async () => {
        const read = await timeline(orderId);
        return succeeded(read.steps, "reserve-seats").length === 1 ? read : undefined;
      },
      { message: "orders to record the seats held" },
    );
    assert.equal(held.orderStatus, PENDING);
    assert.deepEqual(
      held.sagas.map((s) => s.kind),
      [SagaKind.SAGA_KIND_DEADLINE],
      "only its deadline",
    );
    assert.equal((await market.availability(show))?.held, 2);
    assert.deepEqual(await walletRecord(orderId), { kinds: [], voided: false });

    const reason = "wallet database down: release the buyer's seats";
    assert.equal((await ops.compensateSaga({ orderId, reason })).outcome, APPLIED);
    const rejected = await market.order(buyer, orderId);
    assert.equal(rejected.status, REJECTED);
    assert.equal(rejected.rejectionReason, "SAGA_FAILED");
    // Inventory releases on the rejection it consumes (the wallet is still away).
    await allOnSale(show);
    assert.equal((await ops.compensateSaga({ orderId, reason: "again" })).outcome, ALREADY_DONE);
    const { steps, sagas, orderStatus } = await timeline(orderId);
    assert.equal(orderStatus, REJECTED);
    assert.deepEqual(sagas, [], "the deadline went with the rejection");
    const giveUp = steps.find((s) => s.step === "give-up");
    assert.ok(giveUp, "the give-up is on the timeline");
    assert.equal(giveUp.outcome, DECLINED);
    assert.match(giveUp.error, /operator: wallet database down/);
    assert.deepEqual(succeeded(steps, "charge-wallet"), [], "never charged");
    assert.deepEqual(await walletRecord(orderId), { kinds: [], voided: false }, "no money moved");

    // The wallet back: it closes the order (voided; or, if the held seats' charge is redelivered
    // first, charged and refunded) and the buyer has every cent.
    await up("wallet");
    const closed = await waitFor(
      async () => {
        const record = await walletRecord(orderId);
        const refunded = record.kinds.join() === "CHARGE,REFUND";
        return (record.voided && record.kinds.length === 0) || refunded ? record : undefined;
      },
      { timeoutMs: 30_000, message: "the wallet to close the order" },
    );
    assert.equal(await market.balance(buyer), FUNDS, `the buyer paid nothing (${JSON.stringify(closed)})`);
    assert.equal((await market.order(buyer, orderId)).status, REJECTED);
    await allOnSale(show);
    assert.deepEqual(await auditOf(orderId), [
      ["saga.compensate", "applied", reason, "operator"],
      ["saga.compensate", "already-done", "again", "operator"],
    ]);
  });
});
