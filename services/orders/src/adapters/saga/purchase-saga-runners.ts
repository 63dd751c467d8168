import { currentContext, type ServiceRuntime, type Subscription } from "@marquee/platform";
import type { Pool } from "@marquee/platform/postgres";
import type { OrdersDeps, PurchaseSagaRunner, SagaKind, SagaRun } from "../../app/ports.js";
import { runCancelSaga } from "../../app/purchase-saga/run-cancel-saga.js";
import { runPurchaseSaga } from "../../app/purchase-saga/run-purchase-saga.js";
import type { OrderState } from "../../domain/order.js";
import { sagaSubscriptions } from "./choreography-consumers.js";
import { SagaWorker, type SagaWorkerSettings } from "./saga-worker.js";

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
}

type Saga = (deps: OrdersDeps, orderId: string, known?: OrderState) => Promise<Pick<SagaRun, "ended">>;

const SAGAS: Record<SagaKind, Saga> = {
  purchase: runPurchaseSaga,
  cancel: (deps, orderId) => runCancelSaga(deps, orderId),
};

/**
 * Orchestration: orders' saga worker runs the stored sagas (steps and compensations over gRPC).
 * A purchase starts in this process right after PlaceOrder commits (its row is stored leased, and
 * the order's state is in hand: no claim, no read); a cancellation waits for the worker's poll,
 * woken at once.
 */
function orchestration({ runtime, pool, worker: settings }: PurchaseSagaSurroundings): PurchaseSagaAdapter {
  let worker: SagaWorker | undefined;
  let deps: OrdersDeps | undefined;
  return {
    sagaFor: (trigger) => (trigger === "placed" ? { kind: "purchase", leaseMs: settings.leaseMs } : { kind: "cancel" }),
    started: (schedule, order) => {
      if (!worker || !deps || !schedule) return;
      if (schedule.leaseMs === undefined) return worker.wake();
      const known = deps;
      const traceparent = currentContext()?.traceparent ?? null; // the saga's span joins the placing call's trace
      worker.run({ orderId: order.orderId, kind: schedule.kind, attempt: 1, traceparent }, (kind, orderId) =>
        SAGAS[kind](known, orderId, order),
      );
    },
    start: (wired) => {
      deps = wired;
      worker = new SagaWorker(pool, (kind, orderId) => SAGAS[kind](wired, orderId), runtime.logger, settings);
      worker.start();
      runtime.lifecycle.onShutdown("saga worker", () => worker?.stop());
      return [];
    },
  };
}

/** Choreography: nothing is stored; orders' consumers record inventory's and the wallet's answers. */
function choreography(): PurchaseSagaAdapter {
  return {
    sagaFor: () => undefined,
    started: () => undefined,
    start: (deps) => sagaSubscriptions(deps),
  };
}

/** SAGA_MODE → the purchase saga's runner: the one place the mode is chosen. */
export const purchaseSagaRunners = { orchestration, choreography } satisfies Record<
  "orchestration" | "choreography",
  (surroundings: PurchaseSagaSurroundings) => PurchaseSagaAdapter
>;
