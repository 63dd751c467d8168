/** A quota: `quota` requests per `windowSeconds`, refilled continuously (token bucket). */
export interface RatePolicy {
  /** The policy's name in the RateLimit / RateLimit-Policy headers. */
  name: string;
  quota: number;
  windowSeconds: number;
}

export interface RateLimits {
  fallback: RatePolicy;
  /** By partner client id. */
  partners: Map<string, RatePolicy>;
}

const ENTRY = /^([A-Za-z0-9-]+)=(\d{1,9})\/(\d{0,5})(s|m|h)$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3_600 } as const;

/**
 * Parses `default=20/1s;<partner client id>=100/1s` (windows in s, m or h; `20/s` = `20/1s`).
 * Returns the limits, or a message saying what is wrong.
 */
export function parseRateLimits(value: string): RateLimits | string {
  const partners = new Map<string, RatePolicy>();
  let fallback: RatePolicy | undefined;
  for (const raw of value.split(";").map((entry) => entry.trim())) {
    if (!raw) continue;
    const match = ENTRY.exec(raw);
    if (!match) return `"${raw}" is not <default|partner id>=<requests>/<window>, e.g. default=20/1s`;
    const [, name = "", quotaText = "", amount = "", unit = "s"] = match;
    const quota = Number(quotaText);
    const windowSeconds = Number(amount || "1") * UNIT_SECONDS[unit as keyof typeof UNIT_SECONDS];
    if (quota < 1 || windowSeconds < 1) return `"${raw}": requests and window must be at least 1`;
    if (name === "default") fallback = { name: "default", quota, windowSeconds };
    else partners.set(name, { name: "partner", quota, windowSeconds });
  }
  if (!fallback) return "needs a default=<requests>/<window> entry";
  return { fallback, partners };
}

export function policyFor(limits: RateLimits, partnerId: string): RatePolicy {
  return limits.partners.get(partnerId) ?? limits.fallback;
}
