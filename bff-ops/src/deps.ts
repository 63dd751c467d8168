import type { Logger } from "pino";
import type { BrowserSessionParts } from "@marquee/platform/web/browser";
import type { EventStreams } from "@marquee/platform/web/sse";
import type { Clients } from "./clients.js";
import type { OpsConfig } from "./config.js";

/** What the routes and composed answers work with, built once in app.ts (or by a test). */
export interface OpsDeps extends BrowserSessionParts {
  config: OpsConfig;
  logger: Logger;
  clients: Clients;
  /** Open server-sent event streams (ended at shutdown). */
  streams: EventStreams;
}
