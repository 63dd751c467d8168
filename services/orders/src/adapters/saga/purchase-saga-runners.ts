import { currentContext, type ServiceRuntime, type Subscription } from "@marquee/platform";
import type { Pool } from "@marquee/platform/postgres";
import type { GivenUp, OrdersDeps, PurchaseGivenUp, PurchaseSagaRunner, SagaKind, SagaRun } from "../../app/ports.js";
import { giveUpChoreographedPurchase, giveUpOrchestratedPurchase } from "../../app/purchase-saga/give-up-purchase.js";
import { runCancelSaga } from "../../app/purchase-saga/run-cancel-saga.js";
import { runCompensateSaga } from "../../app/purchase-saga/run-compensate-saga.js";
import { runPurchaseSaga } from "../../app/purchase-saga/run-purchase-saga.js";
import { SagaJournal } from "../../app/purchase-saga/saga-journal.js";
import type { OrderState } from "../../domain/order.js";
import { nextPurchaseStep } from "../../domain/purchase-saga.js";
import type { SagaFailureCause } from "../../domain/saga-bounds.js";
import { sagaSubscriptions } from "./choreography-consumers.js";
import { SagaWorker, type LeasedSaga, type SagaWorkerSettings } from "./saga-worker.js";

/**
 * A runner as the composition holds it: the app sees the port; start() begins the work once the
 * deps exist and returns the consumers the service must run for it (choreography's).
 */
export interface PurchaseSagaAdapter extends PurchaseSagaRunner {
  start(deps: OrdersDeps): Subscription[];
}

export interface PurchaseSagaSurroundings {
  runtime: ServiceRuntime;
  pool: Pool;
  worker: SagaWorkerSettings;
  /** Tells operators of a purchase given up (the composition counts and logs it). */
  givenUp: (failure: PurchaseGivenUp) => void;
}

type Saga = (
  deps: OrdersDeps,
  orderId: string,
  journal: SagaJournal,
  known?: OrderState,
) => Promise<Pick<SagaRun, "ended">>;

const ORCHESTRATED: Partial<Record<SagaKind, Saga>> = {
  purchase: runPurchaseSaga,
  cancel: (deps, orderId, journal) => runCancelSaga(deps, orderId, journal),
  compensate: (deps, orderId, journal) => runCompensateSaga(deps, orderId, journal),
};

/** The give-up step's error: why the purchase was given up. */
const WHY: Record<SagaFailureCause, string> = {
  deadline: "deadline: not finished within SAGA_DEADLINE_MS",
  max_attempts: "max_attempts: not finished within SAGA_MAX_ATTEMPTS runs",
};

/** An operator's action, not a run of the saga: its journal's attempt is 0. */
const operatorJournal = (saga: SagaKind) => new SagaJournal(saga, 0, { now: () => new Date() });

const sagaOf = (sagas: Partial<Record<SagaKind, Saga>>, kind: SagaKind, mode: string): Saga => {
  const saga = sagas[kind];
  if (!saga) throw new Error(`no ${kind} saga runs in ${mode} (SAGA_MODE changed with sagas in flight?)`);
  return saga;
};

/**
 * Orchestration: orders' saga worker runs the stored sagas (steps and compensations over gRPC).
 * A purchase starts in this process right after PlaceOrder commits (its row is stored leased, and
 * the order's state is in hand: no claim, no read); a cancellation waits for the worker's poll,
 * woken at once. A purchase past its bounds is given up: rejected SAGA_FAILED with its
 * compensation saga stored in the same append, which this process then runs at once (leased).
 * An operator's give-up (CompensateSaga) takes the same path.
 */
function orchestration({ runtime, pool, worker: settings, givenUp }: PurchaseSagaSurroundings): PurchaseSagaAdapter {
  let worker: SagaWorker | undefined;
  let deps: OrdersDeps | undefined;
  const compensation = { kind: "compensate" as const, leaseMs: settings.leaseMs };
  /** The compensation saga the give-up stored (leased to this process), run now. */
  const compensate = (orderId: string, traceparent: string | null) =>
    worker?.run({ orderId, kind: "compensate", attempt: 1, startedAt: new Date(), traceparent });
  const giveUp =
    (wired: OrdersDeps) => async (saga: LeasedSaga, cause: SagaFailureCause, error: unknown, journal: SagaJournal) => {
      const given = await giveUpOrchestratedPurchase(wired, saga.orderId, compensation, { journal, why: WHY[cause] });
      if (!given.failed) return { ended: false };
      givenUp(failureOf("orchestration", given, cause, saga.attempt, error));
      compensate(saga.orderId, saga.traceparent);
      return { ended: true };
    };
  return {
    sagaFor: (trigger) => (trigger === "placed" ? { kind: "purchase", leaseMs: settings.leaseMs } : { kind: "cancel" }),
    started: (schedule, order) => {
      if (!worker || !deps || !schedule) return;
      if (schedule.leaseMs === undefined) return worker.wake();
      const known = deps;
      const traceparent = currentContext()?.traceparent ?? null; // the saga's span joins the placing call's trace
      worker.run(
        { orderId: order.orderId, kind: schedule.kind, attempt: 1, startedAt: order.placedAt, traceparent },
        (kind, orderId, journal) => sagaOf(ORCHESTRATED, kind, "orchestration")(known, orderId, journal, order),
      );
    },
    wake: () => worker?.wake(),
    giveUpNow: async (orderId, { why, actor }) => {
      if (!deps) throw new Error("the saga runner has not started");
      const given = await giveUpOrchestratedPurchase(deps, orderId, compensation, {
        journal: operatorJournal("purchase"),
        why,
        actor,
      });
      if (given.failed) {
        givenUp(failureOf("orchestration", given, "operator", undefined, undefined));
        compensate(orderId, currentContext()?.traceparent ?? null);
      }
      return given;
    },
    start: (wired) => {
      deps = wired;
      worker = new SagaWorker(
        pool,
        (kind, orderId, journal) => sagaOf(ORCHESTRATED, kind, "orchestration")(wired, orderId, journal),
        runtime.logger,
        settings,
        giveUp(wired),
      );
      worker.start();
      runtime.lifecycle.onShutdown("saga worker", () => worker?.stop());
      return [];
    },
  };
}

/**
 * Choreography: nothing is orchestrated; orders' consumers record inventory's and the wallet's
 * answers. A purchase is stored with a deadline (a saga row of kind deadline, due at
 * SAGA_DEADLINE_MS; the append that ends the purchase deletes it): a purchase still pending then
 * is given up, and its rejection drives the compensations in inventory and the wallet.
 */
function choreography({ runtime, pool, worker: settings, givenUp }: PurchaseSagaSurroundings): PurchaseSagaAdapter {
  const deadline = { kind: "deadline" as const, dueInMs: settings.bounds.deadlineMs };
  let worker: SagaWorker | undefined;
  let deps: OrdersDeps | undefined;
  return {
    sagaFor: (trigger) => (trigger === "placed" ? deadline : undefined),
    started: () => undefined,
    wake: () => worker?.wake(),
    giveUpNow: async (orderId, { why, actor }): Promise<GivenUp> => {
      if (!deps) throw new Error("the saga runner has not started");
      const journal = operatorJournal("purchase");
      const given = await giveUpChoreographedPurchase(deps, orderId, { journal, why, actor });
      if (given.failed) givenUp(failureOf("choreography", given, "operator", undefined, undefined));
      return given;
    },
    start: (wired) => {
      deps = wired;
      const expire: Saga = async (from, orderId, journal) => {
        const given = await giveUpChoreographedPurchase(from, orderId, { journal, why: WHY.deadline });
        if (given.failed) givenUp(failureOf("choreography", given, "deadline", undefined, undefined));
        return { ended: given.failed };
      };
      const running = new SagaWorker(
        pool,
        (kind, orderId, journal) => sagaOf({ deadline: expire }, kind, "choreography")(wired, orderId, journal),
        runtime.logger,
        settings,
      );
      worker = running;
      running.start();
      runtime.lifecycle.onShutdown("saga worker", () => running.stop());
      return sagaSubscriptions(wired);
    },
  };
}

/** What operators hear of a purchase given up: where it was stuck, how many runs, how long since it was placed. */
function failureOf(
  mode: PurchaseGivenUp["mode"],
  { before }: GivenUp,
  cause: PurchaseGivenUp["cause"],
  attempts: number | undefined,
  error: unknown,
): PurchaseGivenUp {
  return {
    orderId: before.orderId,
    mode,
    cause,
    step: nextPurchaseStep(before),
    attempts,
    elapsedMs: Date.now() - before.placedAt.getTime(),
    error,
  };
}

/** SAGA_MODE → the purchase saga's runner: the one place the mode is chosen. */
export const purchaseSagaRunners = { orchestration, choreography } satisfies Record<
  "orchestration" | "choreography",
  (surroundings: PurchaseSagaSurroundings) => PurchaseSagaAdapter
>;
