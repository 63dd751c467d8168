import { DomainError, notFound } from "@marquee/platform";
import type { Caller } from "../domain/access.js";
import { isSkipped, type OrderView } from "../domain/order-view.js";
import type { QueryDeps } from "./ports.js";

export interface GetMyOrderInput {
  orderId: string;
  minVersion: number;
  /** The call's deadline, if it has one: the wait never outlives it. */
  deadline: Date | undefined;
  signal: AbortSignal;
}

const POLL_MS = 250;
/** Answer a little before the caller's deadline, so the answer (not DEADLINE_EXCEEDED) arrives. */
const DEADLINE_MARGIN_MS = 100;

export const readModelBehind = (orderId: string, minVersion: number): DomainError =>
  new DomainError(
    "unavailable",
    `the read model has not caught up with version ${minVersion} of order ${orderId} yet`,
    {
      reason: "READ_MODEL_BEHIND",
    },
  );

/**
 * The caller's order. With minVersion (the version a write of theirs returned), waits until the
 * read model holds that version, woken by the projection as soon as it applies an event of the
 * order (and polling, for a projection running in another process): read-your-writes.
 * Someone else's order is NOT_FOUND at once; a read model still behind when the wait ends is
 * UNAVAILABLE (READ_MODEL_BEHIND), which callers retry.
 */
export async function getMyOrder(deps: QueryDeps, caller: Caller, input: GetMyOrderInput): Promise<OrderView> {
  const { orderId, minVersion } = input;
  const now = deps.clock.now().getTime();
  const until = Math.min(now + deps.maxVersionWaitMs, (input.deadline?.getTime() ?? Infinity) - DEADLINE_MARGIN_MS);
  for (;;) {
    const generation = await deps.registry.active("my-orders");
    const doc = await deps.reads.findOrder("my-orders", generation, orderId);
    if (doc && (isSkipped(doc) || doc.buyerId !== caller.id || doc.buyerKind !== caller.kind)) throw notFound("order");
    if (doc && doc.version >= minVersion) return doc;
    if (minVersion === 0) throw notFound("order");
    const left = until - deps.clock.now().getTime();
    if (left <= 0 || input.signal.aborted) throw readModelBehind(orderId, minVersion);
    await deps.watch.next(orderId, Math.min(left, POLL_MS), input.signal);
  }
}
