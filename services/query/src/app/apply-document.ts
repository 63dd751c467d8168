import { retryLater } from "@marquee/platform";
import type { Outcome } from "../domain/events.js";
import { StaleDocument, type DocStore } from "./ports.js";

export type Applied<D> = { kind: "applied"; doc: D } | { kind: "duplicate" } | { kind: "ignored" };

const STALE_RETRIES = 5;

/**
 * Reads a document, applies a pure step to it and writes it back at the revision read; another
 * writer in between (StaleDocument) means read and apply again. A step that is not ready (an
 * earlier event is missing) fails with retryLater, so the consumer delivers the event again later.
 */
export async function applyToDocument<D>(
  store: DocStore<D>,
  id: string,
  step: (current: D | undefined) => Outcome<D>,
): Promise<Applied<D>> {
  for (let attempt = 1; ; attempt++) {
    const stored = await store.get(id);
    const outcome = step(stored?.value);
    if (outcome.kind === "not_ready") throw retryLater(`${id}: ${outcome.reason}`);
    if (outcome.kind !== "applied") return outcome;
    try {
      await store.put(id, outcome.doc, stored?.rev);
      return outcome;
    } catch (error) {
      if (!(error instanceof StaleDocument) || attempt >= STALE_RETRIES) throw error;
    }
  }
}
