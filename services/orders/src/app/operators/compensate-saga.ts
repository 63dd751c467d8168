import { actorOf, currentContext } from "@marquee/platform";
import { compensation, type ActionOutcome } from "../../domain/saga-operations.js";
import type { OrdersDeps } from "../ports.js";
import { loadAnyOrder } from "./operator.js";

/**
 * CompensateSaga: a pending purchase given up now through the saga's own give-up path
 * (REJECTED SAGA_FAILED; its seats released and its charge refunded by the compensations that
 * follow, whichever SAGA_MODE), recorded as the operator's. Already rejected: already done. Any
 * other order (confirmed, cancelled, completed): FAILED_PRECONDITION (domain/saga-operations.ts
 * compensation). An order that ended while this was deciding is answered as it ended.
 */
export async function compensateSaga(
  deps: Pick<OrdersDeps, "store" | "purchaseSaga">,
  orderId: string,
  reason: string,
): Promise<ActionOutcome> {
  if (compensation(await loadAnyOrder(deps, orderId)) === "already_done") return "already_done";
  const given = await deps.purchaseSaga.giveUpNow(orderId, {
    why: `given up by an operator: ${reason}`,
    actor: actorOf(currentContext()),
  });
  if (given.failed) return "applied";
  const decided = compensation(given.before);
  return decided === "give_up" ? "applied" : decided;
}
