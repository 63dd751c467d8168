import type { Logger } from "@marquee/platform";
import { defineCounter } from "@marquee/platform/telemetry/metrics";
import type { PurchaseGivenUp } from "../../app/ports.js";

const failed = defineCounter({
  name: "marquee_purchase_sagas_failed_total",
  help: "Purchases given up (REJECTED SAGA_FAILED, compensations scheduled) by why: deadline (SAGA_DEADLINE_MS) or max_attempts (SAGA_MAX_ATTEMPTS), and the step the saga was on.",
  labelNames: ["mode", "reason", "step"],
});

/** Counts a purchase given up and logs it for operators (error: the buyer's purchase failed for want of a service). */
export function reportPurchaseGivenUp(logger: Logger, failure: PurchaseGivenUp): void {
  failed.labels(failure.mode, failure.cause, failure.step).inc();
  logger.error(
    {
      orderId: failure.orderId,
      mode: failure.mode,
      reason: failure.cause,
      step: failure.step,
      attempts: failure.attempts,
      elapsedMs: failure.elapsedMs,
      ...(failure.error === undefined ? {} : { err: failure.error }),
    },
    "purchase saga failed: order rejected SAGA_FAILED, compensations follow",
  );
}
