import { asDomainError } from "@marquee/platform";
import { idempotencyKeyReused } from "@marquee/platform/http";

/**
 * bff-web keeps no idempotency records of its own: the services do, durably and per caller
 * (orders per buyer, wallet per account), so a repeat reaching any replica finds the first
 * request's effect. A repeat of the same request answers what the first did (the same order, the
 * same transaction); the same key with a different request is a 422 problem (reason
 * IDEMPOTENCY_KEY_REUSED), as bff-partner answers it: the service says so (wallet's Deposit), or
 * the first request's record differs from this one (`differs`).
 */
export async function idempotent<T>(call: Promise<T>, differs: (answer: T) => boolean = () => false): Promise<T> {
  let answer: T;
  try {
    answer = await call;
  } catch (error) {
    if (asDomainError(error)?.reason === "IDEMPOTENCY_KEY_REUSED") throw idempotencyKeyReused(DETAIL);
    throw error;
  }
  if (differs(answer)) throw idempotencyKeyReused(DETAIL);
  return answer;
}

const DETAIL = "this Idempotency-Key was used for a different request; use a new key";
