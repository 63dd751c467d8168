import { setTimeout as delay } from "node:timers/promises";
import type { Context, Middleware } from "koa";
import type { Logger } from "pino";
import { asDomainError, DomainError } from "@marquee/platform";
import { idempotencyKeyReused, isShownToClients, sendProblem } from "@marquee/platform/http";
import { partnerOf } from "../auth/require-partner.js";
import { fingerprintOf, idempotencyKeyOf, REPLAYED_HEADER } from "./key.js";
import type { Claim, IdempotencyStore, StoredResponse } from "./store.js";

const POLL_MS = 25;
/** Answer headers worth replaying (the body's media type is always JSON). */
const KEPT_HEADERS = ["Location"];

export interface IdempotencyOptions {
  /** Undefined when IDEMPOTENCY_ENABLED=false (benchmark only): the key is checked, not stored. */
  store: IdempotencyStore | undefined;
  /** How long a duplicate waits for the first request with its key to finish. */
  waitMs: number;
  logger: Logger;
}

/**
 * `Idempotency-Key` on a POST (required: 400 without it). The first request with a key runs;
 * its answer (status, body, Location) is kept until the key expires and replayed to every
 * repeat with `Idempotent-Replayed: true`, without running it again. The same key with a
 * different method, path or body is a 422. A repeat arriving while the first is still running
 * waits for its answer (up to `waitMs`), then gets a 409 with Retry-After. Answers not kept:
 * 5xx (nothing may have happened: a retry must be able to run), 400 (so the corrected request
 * can reuse the key), and errors the client is not shown as they are (a failure on our side).
 */
export function idempotency(options: IdempotencyOptions): Middleware {
  return async (ctx, next) => {
    const key = idempotencyKeyOf(ctx);
    const { store } = options;
    if (!store) return next();
    const { partnerId } = partnerOf(ctx);
    const fingerprint = fingerprintOf(ctx.method, ctx.path, (ctx.request as { body?: unknown }).body);
    const claim = await claimWithin(options.waitMs, () => store.claim(partnerId, key, fingerprint));
    switch (claim.outcome) {
      case "mismatch":
        return sendProblem(ctx, idempotencyKeyReused().problem);
      case "in_progress":
        ctx.set("Retry-After", "1");
        return sendProblem(ctx, {
          status: 409,
          type: "idempotency-key-in-progress",
          title: "A request with this Idempotency-Key is in progress",
          detail: "the first request with this Idempotency-Key has not finished yet; retry shortly",
          reason: "IDEMPOTENCY_KEY_IN_PROGRESS",
        });
      case "replay":
        return replay(ctx, claim.response);
      case "owner":
        return runAndRecord(ctx, next, store, partnerId, key, options.logger);
    }
  };
}

async function claimWithin(waitMs: number, claim: () => Promise<Claim>): Promise<Claim> {
  const deadline = Date.now() + waitMs;
  let result = await claim();
  while (result.outcome === "in_progress" && Date.now() < deadline) {
    await delay(POLL_MS);
    result = await claim();
  }
  return result;
}

function replay(ctx: Context, response: StoredResponse): void {
  ctx.set(REPLAYED_HEADER, "true");
  if (response.error) {
    const { kind, message, reason, violations } = response.error;
    throw new DomainError(kind, message, { ...(reason ? { reason } : {}), violations });
  }
  ctx.status = response.status;
  ctx.set(response.headers);
  if (response.body !== undefined) {
    ctx.type = "application/json";
    ctx.body = response.body;
  }
}

const kept = (status: number): boolean => status < 500 && status !== 400;

async function runAndRecord(
  ctx: Context,
  next: () => Promise<unknown>,
  store: IdempotencyStore,
  partnerId: string,
  key: string,
  logger: Logger,
): Promise<void> {
  const record = async (response: StoredResponse | undefined): Promise<void> => {
    try {
      if (response) await store.complete(partnerId, key, response);
      else await store.release(partnerId, key);
    } catch (error) {
      // The answer stands; the key's lease runs out and a repeat runs again (orders and wallet
      // are idempotent by the same key, so that repeat changes nothing twice).
      logger.error({ err: error, partnerId }, "could not record an idempotent answer");
    }
  };
  try {
    await next();
  } catch (error) {
    const domain = asDomainError(error);
    await record(
      domain && isShownToClients(domain) && kept(domain.httpStatus)
        ? {
            status: domain.httpStatus,
            error: {
              kind: domain.kind,
              message: domain.message,
              ...(domain.reason ? { reason: domain.reason } : {}),
              violations: domain.violations,
            },
            headers: {},
          }
        : undefined,
    );
    throw error;
  }
  const headers: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = ctx.response.get(name);
    if (value) headers[name] = value;
  }
  const body = ctx.body === undefined || ctx.body === null ? undefined : JSON.stringify(ctx.body);
  await record(kept(ctx.status) ? { status: ctx.status, ...(body === undefined ? {} : { body }), headers } : undefined);
}
