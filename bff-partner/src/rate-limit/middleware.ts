import type { Middleware } from "koa";
import { DomainError } from "@marquee/platform";
import { partnerOf } from "../auth/require-partner.js";
import { policyFor, type RateLimits, type RatePolicy } from "./policies.js";
import type { RateDecision, RateLimiter } from "./token-bucket.js";

/**
 * The fields of draft-ietf-httpapi-ratelimit-headers (-09/-10): the policy (quota q per window w
 * seconds) and the current state (r requests remaining, t seconds until the bucket is full).
 */
export function rateLimitHeaders(policy: RatePolicy, decision: RateDecision): Record<string, string> {
  return {
    "RateLimit-Policy": `"${policy.name}";q=${policy.quota};w=${policy.windowSeconds}`,
    RateLimit: `"${policy.name}";r=${decision.remaining};t=${decision.resetSeconds}`,
  };
}

/**
 * One token per request from the API key's bucket, sized by the partner's policy; the headers go
 * on every answer (errors included). An empty bucket is a 429 problem with Retry-After.
 */
export function rateLimit(limiter: RateLimiter, limits: RateLimits): Middleware {
  return async (ctx, next) => {
    const partner = partnerOf(ctx);
    const policy = policyFor(limits, partner.partnerId);
    const decision = await limiter.take(`key:${partner.keyId}`, policy);
    ctx.set(rateLimitHeaders(policy, decision));
    if (!decision.allowed) {
      ctx.set("Retry-After", String(decision.retryAfterSeconds));
      throw new DomainError(
        "resource_exhausted",
        `rate limit of ${policy.quota} requests per ${policy.windowSeconds} s exceeded; retry in ${decision.retryAfterSeconds} s`,
        { reason: "RATE_LIMITED" },
      );
    }
    await next();
  };
}
