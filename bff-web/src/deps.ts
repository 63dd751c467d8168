import type { Logger } from "pino";
import type { SessionCookies } from "./auth/cookies.js";
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
  organizations: OrganizationDirectory;
  /** Open server-sent event streams (ended at shutdown). */
  streams: EventStreams;
}
