/** The read models this service keeps, each rebuildable on its own. */
export const PROJECTION_NAMES = ["my-orders", "partner-orders", "organizer-sales", "availability"] as const;
export type ProjectionName = (typeof PROJECTION_NAMES)[number];

/** Which bounded context's events feed a projection (one stream each). */
export const SOURCE_OF: Record<ProjectionName, "orders" | "inventory"> = {
  "my-orders": "orders",
  "partner-orders": "orders",
  "organizer-sales": "orders",
  availability: "inventory",
};

export const isProjectionName = (name: string): name is ProjectionName =>
  (PROJECTION_NAMES as readonly string[]).includes(name);

export type RebuildPhase = "starting" | "loading" | "catching_up" | "switching" | "done";

export interface RebuildProgress {
  generation: number;
  phase: RebuildPhase;
  done: number;
  total: number;
  ratePerSecond: number;
  etaSeconds: number;
  startedAt: Date;
  eventsApplied: number;
}

/**
 * Rate and ETA of a phase from where it started: done per second since then, and the time the
 * rest takes at that rate (0 when done or when nothing is known yet).
 */
export function rateAndEta(
  done: number,
  total: number,
  phaseStartedAt: Date,
  now: Date,
): { ratePerSecond: number; etaSeconds: number } {
  const seconds = (now.getTime() - phaseStartedAt.getTime()) / 1000;
  const ratePerSecond = seconds > 0 ? done / seconds : 0;
  const left = Math.max(0, total - done);
  const etaSeconds = left === 0 ? 0 : ratePerSecond > 0 ? left / ratePerSecond : 0;
  return { ratePerSecond, etaSeconds };
}

/** Lag as operators read it: the age of the oldest event still to apply (0 when none waits). */
export function lagSeconds(oldestPendingAt: Date | undefined, pending: number, now: Date): number {
  if (!oldestPendingAt || pending === 0) return 0;
  return Math.max(0, (now.getTime() - oldestPendingAt.getTime()) / 1000);
}
