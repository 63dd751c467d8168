import { setTimeout as delay } from "node:timers/promises";
import { retryLater } from "@marquee/platform";
import { rateAndEta, type ProjectionName, type RebuildPhase, type RebuildProgress } from "../domain/projections.js";
import { foldEvent, PROJECTORS } from "../domain/projectors.js";
import type { ProjectionDeps } from "./ports.js";

const REPORT_EVERY_MS = 200;
const SAVE_EVERY_MS = 1_000;

/**
 * Rebuilds a projection from scratch while the current generation keeps serving reads:
 *
 * 1. starting     a new generation (its own collections) and its live consumer, created at the
 *                 stream's current end (the pin), not consuming yet;
 * 2. loading      the whole history folded into the new generation: orders from the event store
 *                 (ReadEventPages, which also holds what the stream may have lost to retention),
 *                 inventory from its stream up to the pin; each event folded into documents in
 *                 memory (the live projection's own steps, no read or write per event), the
 *                 documents written in bulk in the background into collections indexed already;
 * 3. catching_up  the new generation's consumer applies what was published after the pin. An
 *                 orders event both read from the event store and published after the pin is
 *                 applied once: documents keep the ids of the events they applied;
 * 4. switching    reads move to the new generation in one single-document write; the old
 *                 generation's consumer is deleted, its collections dropped after a grace period.
 *
 * A failure drops the new generation and leaves the current one as it was.
 */
export async function rebuildProjection(
  deps: ProjectionDeps,
  name: ProjectionName,
  report: (progress: RebuildProgress) => void,
  signal: AbortSignal,
): Promise<RebuildProgress> {
  const startedAt = deps.clock.now();
  const generation = await deps.registry.startRebuild(name, startedAt);
  let progress: RebuildProgress = {
    generation,
    phase: "starting",
    done: 0,
    total: 0,
    ratePerSecond: 0,
    etaSeconds: 0,
    startedAt,
    eventsApplied: 0,
  };
  let reportedAt = 0;
  let savedAt = 0;
  let phaseStartedAt = startedAt;
  // After the switch the registry holds the outcome: progress is reported, no longer saved.
  let saving = true;
  let switched = false;
  const update = async (phase: RebuildPhase, done: number, total: number, force = false) => {
    const now = deps.clock.now();
    const changed = phase !== progress.phase;
    if (changed) phaseStartedAt = now;
    progress = { ...progress, phase, done, total, ...rateAndEta(done, total, phaseStartedAt, now) };
    if (force || changed || now.getTime() - reportedAt >= REPORT_EVERY_MS) {
      reportedAt = now.getTime();
      report(progress);
    }
    if (saving && (force || now.getTime() - savedAt >= SAVE_EVERY_MS)) {
      savedAt = now.getTime();
      await deps.registry.saveProgress(name, progress);
    }
  };

  try {
    await update("starting", 0, 0, true);
    await deps.generations.prepare(name, generation);
    const pinned = await deps.feeds.pin(name, generation);

    await update("loading", 0, 0, true);
    const batch = deps.generations.batch(name, generation);
    const project = PROJECTORS[name];
    let applied = 0;
    for await (const chunk of deps.history.read(name, pinned, signal)) {
      for (const event of chunk.events) {
        let folded = foldEvent(project, batch.docs, event);
        while (folded.kind === "missing") {
          await batch.load(folded.doc.kind, folded.doc.id);
          folded = foldEvent(project, batch.docs, event);
        }
        if (folded.kind === "not_ready") throw retryLater(folded.reason);
        if (folded.kind === "applied") applied++;
      }
      await batch.spill();
      progress.eventsApplied = applied;
      await update("loading", chunk.done, chunk.total);
    }
    await batch.flush();
    await deps.generations.ensure(name, generation);
    progress.eventsApplied = applied;
    await update("loading", progress.total, progress.total, true);

    await deps.feeds.start(name, generation);
    let caughtUp = false;
    while (!caughtUp) {
      signal.throwIfAborted();
      const position = await deps.feeds.position(name, generation);
      const total = Math.max(0, position.streamLast - pinned);
      caughtUp = position.pending === 0;
      await update("catching_up", caughtUp ? total : Math.max(0, total - position.pending), total, caughtUp);
      if (!caughtUp) await delay(deps.pollMs, undefined, { signal });
    }

    await update("switching", 0, 1, true);
    saving = false;
    const previous = await deps.registry.activate(
      name,
      generation,
      `generation ${generation} built at ${deps.clock.now().toISOString()}`,
    );
    switched = true;
    if (previous !== generation) {
      await deps.feeds.stop(name, previous, true);
      await delay(deps.dropGraceMs);
      await deps.generations.drop(name, previous);
    }
    await update("done", 1, 1, true);
    return progress;
  } catch (error) {
    // Once switched, the new generation serves: a failure to clear the old one must not undo it.
    if (switched) throw error;
    await deps.feeds.stop(name, generation, true).catch(() => undefined);
    await deps.generations.drop(name, generation).catch(() => undefined);
    const why = error instanceof Error ? error.message : String(error);
    await deps.registry.endRebuild(name, `generation ${generation} failed: ${why}`).catch(() => undefined);
    throw error;
  }
}
