import { crashPoint } from "@marquee/platform/faults";
import type { OrdersDeps } from "../../ports.js";
import type { SagaJournal } from "../saga-journal.js";

/** Compensation: give the order's payment back (wallet; at most once, idempotent by order id). */
export async function refundPayment(
  deps: OrdersDeps,
  orderId: string,
  reason: string,
  journal: SagaJournal,
): Promise<void> {
  await journal.step("refund", () => deps.wallet.refundOrder(orderId, reason));
  crashPoint("saga:after-refund");
}
