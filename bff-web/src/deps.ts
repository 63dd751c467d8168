import type { Logger } from "pino";
import type { BrowserSessionParts } from "@marquee/platform/web/browser";
import type { EventStreams } from "@marquee/platform/web/sse";
import type { Clients } from "./clients.js";
import type { OrganizationDirectory } from "./compose/organizations.js";
import type { WebConfig } from "./config.js";

/** What the routes and composed pages work with, built once in main.ts (or by a test). */
export interface WebDeps extends BrowserSessionParts {
  config: WebConfig;
  logger: Logger;
  clients: Clients;
  organizations: OrganizationDirectory;
  /** Open server-sent event streams (ended at shutdown). */
  streams: EventStreams;
}
