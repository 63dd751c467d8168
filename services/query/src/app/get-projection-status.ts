import { lagSeconds, PROJECTION_NAMES, type ProjectionName, type RebuildProgress } from "../domain/projections.js";
import type { FeedPosition, ProjectionDeps } from "./ports.js";
import type { RebuildJobs } from "./rebuild-jobs.js";

export interface ProjectionStatus {
  name: ProjectionName;
  generation: number;
  position: FeedPosition;
  lagSeconds: number;
  rebuilding: RebuildProgress | undefined;
  lastRebuild: string;
}

/** Where each projection (or the one named) stands: generation, checkpoint, lag, rebuild. */
export async function getProjectionStatus(
  deps: ProjectionDeps,
  jobs: RebuildJobs,
  only: ProjectionName | undefined,
): Promise<ProjectionStatus[]> {
  const names = only ? [only] : [...PROJECTION_NAMES];
  return Promise.all(
    names.map(async (name) => {
      const record = await deps.registry.get(name);
      const position = await deps.feeds.position(name, record.active);
      return {
        name,
        generation: record.active,
        position,
        lagSeconds: lagSeconds(position.oldestPendingAt, position.pending, deps.clock.now()),
        rebuilding: jobs.progressOf(name) ?? record.rebuilding,
        lastRebuild: record.lastRebuild,
      };
    }),
  );
}
