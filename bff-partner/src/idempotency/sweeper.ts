import type { Logger } from "pino";
import type { IdempotencyStore } from "./store.js";

/** Deletes expired idempotency records every `intervalMs`; returns the stop function. */
export function sweepExpiredKeys(store: IdempotencyStore, intervalMs: number, logger: Logger): () => void {
  const timer = setInterval(() => {
    store.sweep().catch((error: unknown) => logger.warn({ err: error }, "could not sweep idempotency keys"));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
