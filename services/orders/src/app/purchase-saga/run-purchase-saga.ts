import { inSpan } from "@marquee/platform/telemetry/tracing";
import type { OrderState } from "../../domain/order.js";
import { nextPurchaseStep, type PurchaseStep } from "../../domain/purchase-saga.js";
import type { OrdersDeps } from "../ports.js";
import { chargeWallet } from "./charge-wallet.js";
import { confirmOrder } from "./confirm-order.js";
import { reserveSeats } from "./reserve-seats.js";

/**
 * Orchestration: drives one purchase to a terminal state, one step at a time. Every step is
 * idempotent on the other side (by order id), so after a crash the saga simply runs again
 * from the order's recorded state. A failed call throws: the worker retries with backoff.
 */
export async function runPurchaseSaga(deps: OrdersDeps, orderId: string): Promise<OrderState> {
  let state = await deps.store.load(orderId);
  if (!state) throw new Error(`saga for unknown order ${orderId}`);
  for (;;) {
    const step = nextPurchaseStep(state);
    if (step === "done") return state;
    const before: OrderState = state;
    // One span per step (its gRPC calls are client spans under it); each step returns the new state.
    state = await inSpan(`saga purchase ${step}`, { attributes: { "marquee.order.id": orderId } }, () =>
      STEPS[step](deps, before),
    );
  }
}

const STEPS: Record<Exclude<PurchaseStep, "done">, (deps: OrdersDeps, state: OrderState) => Promise<OrderState>> = {
  reserve_seats: reserveSeats,
  charge_wallet: chargeWallet,
  confirm_seats: confirmOrder,
};
