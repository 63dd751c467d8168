import { crashPoint } from "@marquee/platform/faults";
import { inSpan } from "@marquee/platform/telemetry/tracing";
import { confirm, holdSeats, recordPayment, reject } from "../domain/decisions.js";
import type { OrderState } from "../domain/order.js";
import { nextPurchaseStep, RejectionReason } from "../domain/purchase-saga.js";
import { mutateOrder } from "./mutate.js";
import type { OrdersDeps } from "./ports.js";

const ACTOR = { actor: "system:purchase-saga" };

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

const STEPS: Record<
  Exclude<ReturnType<typeof nextPurchaseStep>, "done">,
  (deps: OrdersDeps, state: OrderState) => Promise<OrderState>
> = {
  reserve_seats: async (deps: OrdersDeps, state: OrderState) => {
    const reservation = await deps.inventory.reserveSeats(state);
    crashPoint("saga:after-reserve");
    const now = deps.clock.now();
    if (reservation.outcome === "reserved") {
      return mutateOrder(deps, state.orderId, (s) => holdSeats(s, reservation.hold, now), ACTOR, state);
    }
    const reason = reservation.outcome === "out_of_stock" ? RejectionReason.outOfStock : RejectionReason.notOnSale;
    return mutateOrder(deps, state.orderId, (s) => reject(s, reason, now), ACTOR, state);
  },
  charge_wallet: async (deps: OrdersDeps, state: OrderState) => {
    if (!state.held) throw new Error("charge before hold");
    const total = state.held.total;
    const charge = await deps.wallet.chargeForOrder(state.orderId, state.buyerId, total);
    crashPoint("saga:after-charge");
    if (charge.outcome === "charged") {
      const now = deps.clock.now();
      return mutateOrder(deps, state.orderId, (s) => recordPayment(s, charge.transactionId, total, now), ACTOR, state);
    }
    await deps.inventory.releaseSeats(state.orderId, "ORDER_REJECTED");
    crashPoint("saga:after-release");
    return mutateOrder(
      deps,
      state.orderId,
      (s) => reject(s, RejectionReason.insufficientFunds, deps.clock.now()),
      ACTOR,
      state,
    );
  },
  confirm_seats: async (deps: OrdersDeps, state: OrderState) => {
    if (await deps.inventory.confirmSeats(state.orderId)) {
      crashPoint("saga:after-confirm");
      const codes = deps.ticketCodes.newCodes(state.quantity);
      return mutateOrder(deps, state.orderId, (s) => confirm(s, codes, deps.clock.now()), ACTOR, state);
    }
    await deps.wallet.refundOrder(state.orderId, RejectionReason.holdExpired);
    crashPoint("saga:after-refund");
    return mutateOrder(
      deps,
      state.orderId,
      (s) => reject(s, RejectionReason.holdExpired, deps.clock.now()),
      ACTOR,
      state,
    );
  },
};

/** Orchestration: after a cancellation, give the money back and the seats up (both idempotent). */
export async function runCancelSaga(deps: OrdersDeps, orderId: string): Promise<void> {
  await deps.wallet.refundOrder(orderId, "ORDER_CANCELLED");
  crashPoint("saga:after-refund");
  await deps.inventory.releaseSeats(orderId, "ORDER_CANCELLED");
  crashPoint("saga:after-release");
}
