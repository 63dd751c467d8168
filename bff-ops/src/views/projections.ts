import {
  rebuildPhaseToJSON,
  type ProjectionStatus,
  type RebuildProgress,
} from "@marquee/proto/marquee/query/v1/query_service";
import { enumName, iso } from "./format.js";

const phaseName = enumName(rebuildPhaseToJSON, "REBUILD_PHASE_");

export const rebuildProgressView = (progress: RebuildProgress) => ({
  generation: progress.generation,
  phase: phaseName(progress.phase),
  done: progress.done,
  total: progress.total,
  ratePerSecond: progress.ratePerSecond,
  etaSeconds: progress.etaSeconds,
  startedAt: iso(progress.startedAt),
  eventsApplied: progress.eventsApplied,
});

export const projectionView = (status: ProjectionStatus) => ({
  name: status.name,
  generation: status.generation,
  consumer: status.consumer,
  checkpoint: status.checkpoint,
  streamLastSequence: status.streamLastSequence,
  pendingMessages: status.pendingMessages,
  lagSeconds: status.lagSeconds,
  lastEventAt: iso(status.lastEventAt),
  eventsApplied: status.eventsApplied,
  rebuilding: status.rebuilding ? rebuildProgressView(status.rebuilding) : null,
  lastRebuild: status.lastRebuild,
});

export type RebuildProgressView = ReturnType<typeof rebuildProgressView>;
