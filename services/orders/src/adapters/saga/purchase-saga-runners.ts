import type { ServiceRuntime, Subscription } from "@marquee/platform";
import type { Pool } from "@marquee/platform/postgres";
import type { OrdersDeps, PurchaseSagaRunner, SagaKind } from "../../app/ports.js";
import { runCancelSaga } from "../../app/purchase-saga/run-cancel-saga.js";
import { runPurchaseSaga } from "../../app/purchase-saga/run-purchase-saga.js";
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

const SAGAS: Record<SagaKind, (deps: OrdersDeps, orderId: string) => Promise<unknown>> = {
  purchase: runPurchaseSaga,
  cancel: runCancelSaga,
};

/** Orchestration: orders' saga worker runs the stored sagas (steps and compensations over gRPC). */
function orchestration({ runtime, pool, worker: settings }: PurchaseSagaSurroundings): PurchaseSagaAdapter {
  let worker: SagaWorker | undefined;
  return {
    sagaFor: (trigger) => (trigger === "placed" ? "purchase" : "cancel"),
    wake: () => worker?.wake(),
    start: (deps) => {
      const run = async (kind: SagaKind, orderId: string) => void (await SAGAS[kind](deps, orderId));
      worker = new SagaWorker(pool, run, runtime.logger, settings);
      worker.start();
      runtime.lifecycle.onShutdown("saga worker", () => worker?.stop());
      return [];
    },
  };
}

/** Choreography: nothing is stored; orders' consumers record inventory's and the wallet's answers. */
function choreography({ pool }: PurchaseSagaSurroundings): PurchaseSagaAdapter {
  return {
    sagaFor: () => undefined,
    wake: () => undefined,
    start: (deps) => sagaSubscriptions(pool, deps),
  };
}

/** SAGA_MODE → the purchase saga's runner: the one place the mode is chosen. */
export const purchaseSagaRunners = { orchestration, choreography } satisfies Record<
  "orchestration" | "choreography",
  (surroundings: PurchaseSagaSurroundings) => PurchaseSagaAdapter
>;
