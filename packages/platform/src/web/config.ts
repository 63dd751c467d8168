import { z } from "zod";
import { trustedProxiesSetting } from "../trusted-proxies.js";

/** A true/false setting ("true", "false", "1", "0"). */
export const flag = (fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0"], { error: "must be true or false" })
    .default(fallback ? "true" : "false")
    .transform((value) => value === "true" || value === "1");

/** The settings of a BFF that keeps a browser session in cookies (bff-web, bff-ops), to spread into its schema. */
export const browserSessionConfig = {
  /** Marks the session cookies Secure; they are also Secure whenever the request came over https. */
  COOKIE_SECURE: flag(false),
  /**
   * Load balancers and ingress proxies in front of it, whose X-Forwarded-For / -Proto / -Host are
   * believed (addresses, CIDR ranges, or loopback / linklocal / uniquelocal), comma-separated.
   * Empty (default): nobody's; the client is the TCP peer.
   */
  TRUSTED_PROXIES: trustedProxiesSetting,
  /**
   * Key of the CSRF tokens (HMAC of the session); at least 32 characters. When unset, a random
   * key per process: fine for one instance, but every instance behind a load balancer needs the same.
   */
  CSRF_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
};

export type BrowserSessionConfig = z.output<z.ZodObject<typeof browserSessionConfig>>;
