import type { Logger } from "pino";
import type { TokenVerifier } from "@marquee/platform";
import type { SignInLimits } from "@marquee/platform/sign-in-limits";
import type { Clients } from "./clients.js";
import type { MobileConfig } from "./config.js";

/** What the routes and composed answers run on. */
export interface MobileDeps {
  config: MobileConfig;
  logger: Logger;
  clients: Clients;
  verifier: TokenVerifier;
  /** Brakes on signing in, per client address and per account. */
  signInLimits: SignInLimits;
}
