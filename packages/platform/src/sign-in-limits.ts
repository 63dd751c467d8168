import { createHash } from "node:crypto";
import { isIPv6 } from "node:net";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type IRateLimiterOptions,
  type RateLimiterAbstract,
} from "rate-limiter-flexible";
import { z } from "zod";
import { env } from "./config.js";
import { asDomainError, DomainError } from "./errors.js";

export interface Limit {
  /** Attempts allowed per window; one more is refused (429) until the window has passed. */
  points: number;
  windowSeconds: number;
}

export interface SignInLimitSettings {
  /** Sign-in and sign-up attempts from one client address (a successful sign-in is not counted). */
  perAddress: Limit;
  /** Failed sign-ins (and sign-ups) for one email address, whoever tries; a success starts afresh. */
  perAccount: Limit;
  /** With it, every replica on this Redis shares the counts; without, each process counts its own. */
  redisUrl?: string | undefined;
  /** Prefix of this deployment's keys in Redis. */
  keyPrefix: string;
}

export type AttemptKind = "sign-in" | "sign-up";

const count = (fallback: number, max: number) => z.coerce.number().int().min(1).max(max).default(fallback);

/** The settings of a BFF that signs people in, to spread into its configuration schema. */
export const signInLimitConfig = (keyPrefix: string) => ({
  /** Sign-in (and sign-up) attempts per client address per window (a successful sign-in is not counted). */
  SIGN_IN_ADDRESS_LIMIT: count(20, 100_000),
  SIGN_IN_ADDRESS_WINDOW_SECONDS: count(60, 86_400),
  /** Failed sign-ins per account (email) per window, whoever tries; past it, 429 for a window. */
  SIGN_IN_ACCOUNT_LIMIT: count(5, 1_000),
  SIGN_IN_ACCOUNT_WINDOW_SECONDS: count(900, 86_400),
  /** Optional: with it, the sign-in limits hold across every instance using this Redis. */
  REDIS_URL: env.redisUrl(),
  REDIS_KEY_PREFIX: env.redisKeyPrefix(keyPrefix),
});

/** The settings as a BFF's configuration names them. */
export type SignInLimitConfig = z.output<z.ZodObject<ReturnType<typeof signInLimitConfig>>>;

export const signInLimitSettings = (config: SignInLimitConfig): SignInLimitSettings => ({
  perAddress: { points: config.SIGN_IN_ADDRESS_LIMIT, windowSeconds: config.SIGN_IN_ADDRESS_WINDOW_SECONDS },
  perAccount: { points: config.SIGN_IN_ACCOUNT_LIMIT, windowSeconds: config.SIGN_IN_ACCOUNT_WINDOW_SECONDS },
  redisUrl: config.REDIS_URL,
  keyPrefix: config.REDIS_KEY_PREFIX,
});

/** What decides an attempt's count: the errors that mean "a guess that failed". */
const FAILED_GUESS = new Set(["unauthenticated", "already_exists"]);

/**
 * Brute-force and enumeration brakes on signing in and up, per client address and per account
 * (rate-limiter-flexible; in Redis when REDIS_URL is set, so replicas share the counts, with this
 * process's memory standing in while Redis does not answer). An attempt takes a point from both
 * before accounts is asked; a refused one is a 429 problem with Retry-After, asking nobody. The
 * account is the email as accounts compares it (trimmed, lower case), hashed: the same whether
 * or not a user has it, and never stored in clear. A failed attempt (401, or 409 for a taken
 * email) keeps its points; a successful sign-in returns the address's point and clears the
 * account's count; anything else (a bad request, a service down) returns both.
 */
export class SignInLimits {
  private constructor(
    private readonly perAddress: RateLimiterAbstract,
    private readonly perAccount: RateLimiterAbstract,
    private readonly logger: Logger,
    private readonly redis: Redis | undefined,
  ) {}

  static create(settings: SignInLimitSettings, logger: Logger): SignInLimits {
    const options = (name: string, limit: Limit): IRateLimiterOptions => ({
      keyPrefix: `${settings.keyPrefix}:sign-in:${name}`,
      points: limit.points,
      duration: limit.windowSeconds,
      // Past the limit, refused for a whole window from then on, however the attempts were spread.
      blockDuration: limit.windowSeconds,
    });
    if (!settings.redisUrl) {
      return new SignInLimits(
        new RateLimiterMemory(options("address", settings.perAddress)),
        new RateLimiterMemory(options("account", settings.perAccount)),
        logger,
        undefined,
      );
    }
    const redis = new Redis(settings.redisUrl, {
      // Fail a command at once while disconnected (the in-memory limiter decides) instead of queueing it.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 500,
      connectTimeout: 2_000,
      retryStrategy: (times) => Math.min(2_000, 50 * 2 ** times),
    });
    let down = false;
    redis.on("error", (error: Error) => {
      if (!down) logger.warn({ err: error }, "Redis failed: sign-in limits count per instance meanwhile");
      down = true;
    });
    redis.on("ready", () => {
      if (down) logger.info("Redis answers again: sign-in limits are shared again");
      down = false;
    });
    const inRedis = (name: string, limit: Limit) =>
      new RateLimiterRedis({
        ...options(name, limit),
        storeClient: redis,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory(options(name, limit)),
      });
    return new SignInLimits(
      inRedis("address", settings.perAddress),
      inRedis("account", settings.perAccount),
      logger,
      redis,
    );
  }

  /** Resolves once Redis is connected (or after `timeoutMs`: counts are per instance until it is). */
  async ready(timeoutMs = 5_000): Promise<void> {
    const redis = this.redis;
    if (!redis || redis.status === "ready") return;
    const connected = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      redis.once("ready", () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!connected) this.logger.warn("Redis not reachable yet: sign-in limits count per instance until it is");
  }

  /** Runs one attempt to sign in or up under both limits; 429 problem (Retry-After) when either is spent. */
  async attempt<T>(attempt: { address: string; email: string; kind: AttemptKind }, run: () => Promise<T>): Promise<T> {
    const address = addressKey(attempt.address);
    const account = accountKey(attempt.email);
    const [byAddress, byAccount] = await Promise.allSettled([
      this.perAddress.consume(address),
      this.perAccount.consume(account),
    ]);
    const refused = [byAddress, byAccount].flatMap((taken) =>
      taken.status === "rejected" && taken.reason instanceof RateLimiterRes ? [taken.reason] : [],
    );
    for (const taken of [byAddress, byAccount]) {
      if (taken.status === "rejected" && !(taken.reason instanceof RateLimiterRes)) throw taken.reason;
    }
    if (refused.length > 0) {
      // Nothing was attempted: the limit that still had room gets its point back.
      if (byAddress.status === "fulfilled") await this.perAddress.reward(address, 1);
      if (byAccount.status === "fulfilled") await this.perAccount.reward(account, 1);
      const retryAfterMs = Math.max(...refused.map((res) => res.msBeforeNext));
      this.logger.info(
        { address, account, kind: attempt.kind, byAddress: byAddress.status, byAccount: byAccount.status },
        "sign-in limit reached",
      );
      throw new DomainError("resource_exhausted", "too many attempts to sign in: try again later", {
        reason: "TOO_MANY_ATTEMPTS",
        retryAfterMs,
      });
    }

    let result: T;
    try {
      result = await run();
    } catch (error) {
      const kind = asDomainError(error)?.kind;
      if (!kind || !FAILED_GUESS.has(kind)) {
        await Promise.all([this.perAddress.reward(address, 1), this.perAccount.reward(account, 1)]);
      }
      throw error;
    }
    await this.perAccount.delete(account);
    if (attempt.kind === "sign-in") await this.perAddress.reward(address, 1);
    return result;
  }

  close(): void {
    this.redis?.disconnect();
  }
}

/** The account an email names, as accounts compares emails (trimmed, lower case), hashed. */
export function accountKey(email: string): string {
  return createHash("sha256").update(email.trim().toLowerCase()).digest("base64url");
}

/**
 * The client an address stands for: an IPv4 address (also when written IPv4-mapped), or an
 * IPv6 address's /64 network, the block one subscriber is usually given (counting single
 * addresses of it would let one client rotate through 2^64 of them).
 */
export function addressKey(address: string): string {
  const plain = address.replace(/%.*$/, "");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(plain);
  if (mapped?.[1]) return mapped[1];
  if (!isIPv6(plain)) return plain;
  const [head = "", tail = ""] = plain.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = plain.includes("::")
    ? [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}
