import type { Logger } from "@marquee/platform";
import { PROJECTION_NAMES } from "../domain/projections.js";
import type { ProjectionDeps } from "./ports.js";

/**
 * At start (one query process writes a query database, as FerretDB needs one writer anyway): a
 * rebuild the last process did not finish is abandoned (its generation dropped: the
 * active one never stopped serving), and every projection's active generation is fed again from
 * its consumer's checkpoint.
 */
export async function startProjections(deps: ProjectionDeps, logger: Logger): Promise<void> {
  for (const name of PROJECTION_NAMES) {
    const record = await deps.registry.get(name);
    const interrupted = record.rebuilding?.generation;
    if (record.rebuilding) {
      if (interrupted && interrupted !== record.active) {
        await deps.feeds.stop(name, interrupted, true);
        await deps.generations.drop(name, interrupted);
      }
      await deps.registry.endRebuild(
        name,
        `generation ${interrupted ?? "?"} abandoned: the process stopped during its rebuild`,
      );
      logger.warn({ projection: name, generation: interrupted }, "unfinished rebuild abandoned");
    }
    await deps.generations.ensure(name, record.active);
    await deps.feeds.start(name, record.active);
  }
}
