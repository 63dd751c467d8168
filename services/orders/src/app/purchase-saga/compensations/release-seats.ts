import { crashPoint } from "@marquee/platform/faults";
import type { OrdersDeps } from "../../ports.js";
import type { SagaJournal } from "../saga-journal.js";

/** Compensation: give the order's held or bought seats back (inventory; idempotent by order id). */
export async function releaseSeats(
  deps: OrdersDeps,
  orderId: string,
  reason: string,
  journal: SagaJournal,
): Promise<void> {
  await journal.step("release-seats", () => deps.inventory.releaseSeats(orderId, reason));
  crashPoint("saga:after-release");
}
