import { crashPoint } from "@marquee/platform/faults";
import type { OrdersDeps } from "../../ports.js";

/** Compensation: give the order's payment back (wallet; at most once, idempotent by order id). */
export async function refundPayment(deps: OrdersDeps, orderId: string, reason: string): Promise<void> {
  await deps.wallet.refundOrder(orderId, reason);
  crashPoint("saga:after-refund");
}
