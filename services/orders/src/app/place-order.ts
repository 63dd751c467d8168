import { overloaded } from "@marquee/platform";
import { assertSamePlacement, placeOrder as decidePlaceOrder, soldOut } from "../domain/decisions.js";
import { fold, type OrderState } from "../domain/order.js";
import { actorOf } from "./ownership.js";
import { DuplicateOrder, type Caller, type OrdersDeps } from "./ports.js";

export interface PlaceOrderInput {
  showId: string;
  tierId: string;
  quantity: number;
  idempotencyKey: string;
  attendeeNames: string[];
}

/**
 * Records OrderPlaced; the saga (either mode) takes it from there. Same key, same order: the
 * append fails on the buyer's (buyer, key) pair, and the first order is returned instead (the same
 * key with another request: FAILED_PRECONDITION IDEMPOTENCY_KEY_REUSED). A tier
 * inventory reported sold out is answered at once (FAILED_PRECONDITION, OUT_OF_STOCK), even when
 * the door is full: nothing is recorded and no saga starts.
 */
export async function placeOrder(deps: OrdersDeps, caller: Caller, input: PlaceOrderInput): Promise<OrderState> {
  const orderId = deps.ids.newId();
  const full = deps.admission.admit(orderId);
  if (full) {
    // In a rush the door fills with the tier's last sagas: a buyer of a tier already sold out is
    // told so, not sent back to retry what can only fail.
    if (await deps.store.isReportedSoldOut(input)) return answerSoldOut(deps, caller, input);
    throw overloaded("too many purchases in progress; try again shortly", full.retryAfterMs);
  }
  const now = deps.clock.now();
  const events = decidePlaceOrder({ ...input, orderId, buyerId: caller.id, buyerKind: caller.kind }, now);
  const saga = deps.purchaseSaga.sagaFor("placed");
  let written: boolean;
  try {
    written = await deps.store.append(orderId, 0, events, {
      actor: actorOf(caller),
      scheduleSaga: saga,
      unlessSoldOut: { showId: input.showId, tierId: input.tierId },
    });
  } catch (error) {
    deps.admission.release(orderId);
    if (error instanceof DuplicateOrder) return loadRepeated(deps, error.existingOrderId, input);
    throw error;
  }
  if (!written) {
    deps.admission.release(orderId);
    return answerSoldOut(deps, caller, input);
  }
  const placed = fold(events.map((event) => ({ event, recordedAt: now })));
  if (!placed) throw new Error(`order ${orderId} has no state after OrderPlaced`);
  deps.purchaseSaga.started(saga, placed);
  return placed;
}

/** Sold out, unless this key placed an order before the tier sold out: then that order. */
async function answerSoldOut(deps: OrdersDeps, caller: Caller, input: PlaceOrderInput): Promise<OrderState> {
  const earlier = await deps.store.findByIdempotencyKey(caller.id, input.idempotencyKey);
  if (earlier) return loadRepeated(deps, earlier, input);
  throw soldOut(input);
}

/** The order an earlier PlaceOrder with this key placed, if this is the same request again. */
async function loadRepeated(deps: OrdersDeps, orderId: string, input: PlaceOrderInput): Promise<OrderState> {
  const state = await deps.store.load(orderId);
  if (!state) throw new Error(`order ${orderId} vanished`);
  assertSamePlacement(state, input);
  return state;
}
