import { RebuildPhase, type RebuildProgress } from "@marquee/proto/marquee/query/v1/query_service";

const PHASES: Record<RebuildPhase, string> = {
  [RebuildPhase.REBUILD_PHASE_UNSPECIFIED]: "",
  [RebuildPhase.REBUILD_PHASE_STARTING]: "starting",
  [RebuildPhase.REBUILD_PHASE_LOADING]: "loading history",
  [RebuildPhase.REBUILD_PHASE_CATCHING_UP]: "catching up",
  [RebuildPhase.REBUILD_PHASE_SWITCHING]: "switching",
  [RebuildPhase.REBUILD_PHASE_DONE]: "done",
  [RebuildPhase.UNRECOGNIZED]: "",
};

const count = (n: number): string => Math.round(n).toLocaleString("en-US");

function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return "0s";
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60
    ? `${minutes}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`
    : `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

/** One line: `loading history [#####-----]  52%  26,000/50,000  21,300/s  ETA 1.1s  (generation 3)`. */
export function progressLine(progress: RebuildProgress, width = 30): string {
  const phase = PHASES[progress.phase] || "…";
  const share =
    progress.total > 0
      ? Math.min(1, progress.done / progress.total)
      : progress.phase === RebuildPhase.REBUILD_PHASE_DONE
        ? 1
        : 0;
  const filled = Math.round(share * width);
  const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
  const percent = `${String(Math.floor(share * 100)).padStart(3)}%`;
  const parts = [phase.padEnd(15), bar, percent, `${count(progress.done)}/${count(progress.total)}`];
  if (progress.ratePerSecond > 0)
    parts.push(`${count(progress.ratePerSecond)}/s`, `ETA ${duration(progress.etaSeconds)}`);
  parts.push(`(generation ${progress.generation})`);
  return parts.join("  ");
}
