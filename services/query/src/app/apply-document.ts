import { retryLater } from "@marquee/platform";
import type { AnyEvent, Outcome } from "../domain/events.js";
import type { DocKind, Documents, Projector, StepOf, StepResult } from "../domain/projectors.js";
import { StaleDocument, type DocStore, type GenerationStores } from "./ports.js";

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
): Promise<StepResult> {
  for (let attempt = 1; ; attempt++) {
    const stored = await store.get(id);
    const outcome = step(stored?.value);
    if (outcome.kind === "not_ready") throw retryLater(`${id}: ${outcome.reason}`);
    if (outcome.kind !== "applied") return outcome.kind;
    try {
      await store.put(id, outcome.doc, stored?.rev);
      return outcome.kind;
    } catch (error) {
      if (!(error instanceof StaleDocument) || attempt >= STALE_RETRIES) throw error;
    }
  }
}

function applyStep<K extends DocKind>(stores: GenerationStores, s: StepOf<K>): Promise<StepResult> {
  return applyToDocument<Documents[K]>(stores[s.kind], s.id, (current) => s.step(current));
}

/** Applies one event live: each document the projector changes is one read and one conditional write. */
export async function projectLive(stores: GenerationStores, project: Projector, event: AnyEvent): Promise<StepResult> {
  const steps = project(event);
  let next = steps.next();
  while (!next.done) next = steps.next(await applyStep(stores, next.value));
  return next.value;
}
