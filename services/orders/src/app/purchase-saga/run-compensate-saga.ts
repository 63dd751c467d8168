import { compensationsFor } from "../../domain/saga-bounds.js";
import { RejectionReason } from "../../domain/purchase-saga.js";
import type { OrdersDeps, SagaRun } from "../ports.js";
import { refundPayment } from "./compensations/refund-payment.js";
import { releaseSeats } from "./compensations/release-seats.js";
import type { SagaJournal } from "./saga-journal.js";

/**
 * Orchestration: what a purchase given up (REJECTED SAGA_FAILED) owes, undone: its seats go back
 * on sale and, if a charge may have been made, the money goes back (the wallet voids an order it
 * never charged, so a late charge is refused). Each compensation is tried even when the other
 * fails (inventory down must not hold back a refund); a failure throws and the worker retries the
 * whole saga, for as long as it takes: both calls are idempotent by order id, and compensations
 * are never given up.
 */
export async function runCompensateSaga(
  deps: OrdersDeps,
  orderId: string,
  journal: SagaJournal,
): Promise<Pick<SagaRun, "ended">> {
  const state = await deps.store.load(orderId);
  if (!state) throw new Error(`compensations for unknown order ${orderId}`);
  const owed = compensationsFor(state);
  const failures: unknown[] = [];
  const attempt = async (compensation: () => Promise<void>) => {
    await compensation().catch((error: unknown) => failures.push(error));
  };
  if (owed.refundPayment) await attempt(() => refundPayment(deps, orderId, RejectionReason.sagaFailed, journal));
  if (owed.releaseSeats) await attempt(() => releaseSeats(deps, orderId, "ORDER_REJECTED", journal));
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, `order ${orderId}: compensations failed`);
  return { ended: false }; // nothing to record: the worker deletes the saga's row
}
