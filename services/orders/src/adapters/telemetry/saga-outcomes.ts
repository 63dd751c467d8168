import { defineCounter } from "@marquee/platform/telemetry/metrics";
import type { OrderStore } from "../../app/ports.js";

const outcomes = defineCounter({
  name: "marquee_saga_outcomes_total",
  help: "Purchases that reached an outcome: confirmed, or rejected by reason (OUT_OF_STOCK, INSUFFICIENT_FUNDS, ...).",
  labelNames: ["saga", "mode", "outcome", "reason"],
});

/**
 * The store, counting purchase outcomes as their events are appended: OrderConfirmed →
 * confirmed, OrderRejected → rejected with its reason. Both saga modes end through append,
 * so one place counts either (an append its inbox found already done writes nothing and counts nothing).
 */
export function withSagaOutcomeMetrics(store: OrderStore, mode: "orchestration" | "choreography"): OrderStore {
  const append: OrderStore["append"] = async (orderId, expectedVersion, events, options) => {
    const written = await store.append(orderId, expectedVersion, events, options);
    if (!written) return false;
    for (const event of events) {
      if (event.type === "OrderConfirmed") outcomes.labels("purchase", mode, "confirmed", "").inc();
      else if (event.type === "OrderRejected") outcomes.labels("purchase", mode, "rejected", event.data.reason).inc();
    }
    return true;
  };
  return new Proxy(store, {
    get(target, property) {
      if (property === "append") return append;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
