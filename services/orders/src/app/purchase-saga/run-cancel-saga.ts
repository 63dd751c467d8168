import type { OrdersDeps, SagaRun } from "../ports.js";
import { refundPayment } from "./compensations/refund-payment.js";
import { releaseSeats } from "./compensations/release-seats.js";
import type { SagaJournal } from "./saga-journal.js";

/** Orchestration: a cancelled order's money goes back and its seats go back on sale (both idempotent). */
export async function runCancelSaga(
  deps: OrdersDeps,
  orderId: string,
  journal: SagaJournal,
): Promise<Pick<SagaRun, "ended">> {
  await refundPayment(deps, orderId, "ORDER_CANCELLED", journal);
  await releaseSeats(deps, orderId, "ORDER_CANCELLED", journal);
  return { ended: false }; // nothing to record: the worker deletes the saga's row
}
