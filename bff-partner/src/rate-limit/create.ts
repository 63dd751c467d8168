import type { Logger } from "pino";
import type { PartnerConfig } from "../config.js";
import { RedisRateLimiter } from "./redis-limiter.js";
import { MemoryRateLimiter, type RateLimiter } from "./token-bucket.js";

/** Redis buckets (shared by every instance) when REDIS_URL is set, else this instance's own; none when disabled. */
export async function createRateLimiter(config: PartnerConfig, logger: Logger): Promise<RateLimiter | undefined> {
  if (!config.RATE_LIMIT_ENABLED) return undefined;
  const memory = new MemoryRateLimiter();
  if (!config.REDIS_URL) return memory;
  return RedisRateLimiter.connect(config.REDIS_URL, { prefix: config.REDIS_KEY_PREFIX, fallback: memory, logger });
}
