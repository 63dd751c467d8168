import { Redis } from "ioredis";
import type { Logger } from "pino";
import type { RatePolicy } from "./policies.js";
import { decisionOf, type RateDecision, type RateLimiter } from "./token-bucket.js";

/**
 * The token bucket of token-bucket.ts as one atomic script, on Redis's clock, so every instance
 * sharing the Redis shares each bucket. A missing key is a full bucket; a key expires once it
 * would have refilled anyway.
 */
const TAKE_TOKEN = `
local quota = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local rate = quota / window
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = quota
  at = now
end
local elapsed = now - at
if elapsed < 0 then elapsed = 0 end
tokens = math.min(quota, tokens + elapsed * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], window + 1000)
return { allowed, tostring(tokens) }
`;

type WithTakeToken = Redis & {
  takeToken(key: string, quota: number, windowMs: number): Promise<[number, string]>;
};

/**
 * Buckets in Redis. When Redis does not answer (down, slow), the request is decided by the
 * fallback (this instance's in-memory buckets) rather than failed or let through unlimited:
 * during an outage the limit holds per instance.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: WithTakeToken;
  private degraded = false;

  private constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly fallback: RateLimiter,
    private readonly logger: Logger,
  ) {
    redis.defineCommand("takeToken", { numberOfKeys: 1, lua: TAKE_TOKEN });
    this.redis = redis as WithTakeToken;
  }

  /** Connects (waiting up to `connectTimeoutMs`; later it keeps reconnecting in the background). */
  static async connect(
    url: string,
    options: { prefix: string; fallback: RateLimiter; logger: Logger; connectTimeoutMs?: number },
  ): Promise<RedisRateLimiter> {
    const redis = new Redis(url, {
      // Fail a command at once while disconnected (the fallback decides) instead of queueing it.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 250,
      connectTimeout: 2_000,
      retryStrategy: (times) => Math.min(2_000, 50 * 2 ** times),
    });
    redis.on("error", () => undefined); // reported through take() and the warnings below
    const limiter = new RedisRateLimiter(redis, options.prefix, options.fallback, options.logger);
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), options.connectTimeoutMs ?? 5_000);
      redis.once("ready", () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!ready) options.logger.warn("Redis not reachable yet: rate limits hold per instance until it is");
    return limiter;
  }

  async take(bucket: string, policy: RatePolicy): Promise<RateDecision> {
    try {
      const [allowed, tokens] = await this.redis.takeToken(
        `${this.prefix}:ratelimit:${bucket}`,
        policy.quota,
        policy.windowSeconds * 1000,
      );
      if (this.degraded) this.logger.info("Redis answers again: rate limits are shared again");
      this.degraded = false;
      return decisionOf(allowed === 1, Number(tokens), policy);
    } catch (error) {
      if (!this.degraded) this.logger.warn({ err: error }, "Redis failed: rate limits hold per instance meanwhile");
      this.degraded = true;
      return this.fallback.take(bucket, policy);
    }
  }

  async close(): Promise<void> {
    await this.fallback.close();
    this.redis.disconnect();
  }
}
