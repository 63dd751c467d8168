import type { IncomingEvent } from "@marquee/platform";
import type { WalletDeps } from "../../app/ports.js";

/**
 * Wraps a consumer's handler so each event's effect applies exactly once, `deps` bound to the
 * transaction that records the event as processed.
 */
export type Inbox = (
  durable: string,
  handle: (event: IncomingEvent, deps: WalletDeps) => Promise<void>,
) => (event: IncomingEvent) => Promise<void>;
