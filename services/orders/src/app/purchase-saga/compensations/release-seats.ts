import { crashPoint } from "@marquee/platform/faults";
import type { OrdersDeps } from "../../ports.js";

/** Compensation: give the order's held or bought seats back (inventory; idempotent by order id). */
export async function releaseSeats(deps: OrdersDeps, orderId: string, reason: string): Promise<void> {
  await deps.inventory.releaseSeats(orderId, reason);
  crashPoint("saga:after-release");
}
