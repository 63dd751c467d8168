import type { Logger } from "pino";
import type { SessionCookies } from "./auth/cookies.js";
import type { CsrfTokens } from "./auth/csrf.js";
import type { SignInLimits } from "@marquee/platform/sign-in-limits";
import type { Clients } from "./clients.js";
import type { OrganizationDirectory } from "./compose/organizations.js";
import type { WebConfig } from "./config.js";
import type { EventStreams } from "./http/sse.js";

/** What the routes and composed pages work with, built once in main.ts (or by a test). */
export interface WebDeps {
  config: WebConfig;
  logger: Logger;
  clients: Clients;
  cookies: SessionCookies;
  csrf: CsrfTokens;
  /** Brakes on signing in and up, per client address and per account. */
  signInLimits: SignInLimits;
  organizations: OrganizationDirectory;
  /** Open server-sent event streams (ended at shutdown). */
  streams: EventStreams;
}
