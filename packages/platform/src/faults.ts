/**
 * Crash points: named places where a fault test can make this process die as abruptly as a
 * power cut (SIGKILL: no shutdown hooks, no flushing), to prove that what was committed up to
 * that point is enough to finish the work after a restart.
 *
 * Off unless MARQUEE_CRASH_AT names points, as `point[:n]` (the n-th time it is reached,
 * default 1), comma-separated: `MARQUEE_CRASH_AT=saga:after-charge:3`. The variable is read
 * once, when this module loads; unset, crashPoint() returns at its first test.
 */
export const CRASH_POINTS = {
  "saga:after-reserve": "inventory reserved the seats; the order does not record the hold yet",
  "saga:after-charge": "wallet charged the buyer; orders has not recorded the payment yet",
  "saga:after-confirm":
    "the seats are confirmed (orchestration) or the confirmation is decided (choreography); no tickets issued yet",
  "saga:after-release": "a rejected or cancelled order's seats are released; the saga has not recorded it yet",
  "saga:after-refund": "a rejected or cancelled order's money is refunded; the saga has not recorded it yet",
  "outbox:after-publish": "JetStream acked the relay's batch; the outbox rows are not marked published yet",
  "inbox:after-effect": "an event's effect and inbox row are committed; the event is not acked yet",
} as const;

export type CrashPoint = keyof typeof CRASH_POINTS;

export const CRASH_AT_VARIABLE = "MARQUEE_CRASH_AT";

/** Which points crash, and on which arrival (1 = the first time the point is reached). */
export type CrashPlan = ReadonlyMap<CrashPoint, number>;

const isCrashPoint = (name: string): name is CrashPoint => Object.hasOwn(CRASH_POINTS, name);

/** Parses MARQUEE_CRASH_AT; a name that is not a crash point is an error (a typo would never crash). */
export function parseCrashPlan(spec: string | undefined): CrashPlan {
  const plan = new Map<CrashPoint, number>();
  for (const entry of (spec ?? "").split(",").map((part) => part.trim())) {
    if (entry === "") continue;
    const count = /^(.*):(\d+)$/.exec(entry);
    const name = count?.[1] ?? entry;
    const nth = count ? Number(count[2]) : 1;
    if (!isCrashPoint(name)) {
      throw new Error(`${CRASH_AT_VARIABLE}: "${name}" is not a crash point (${Object.keys(CRASH_POINTS).join(", ")})`);
    }
    if (nth < 1) throw new Error(`${CRASH_AT_VARIABLE}: "${entry}" must count from 1`);
    plan.set(name, nth);
  }
  return plan;
}

/** Counts arrivals at each planned point; answers true on the arrival that must crash. */
export function crashCounter(plan: CrashPlan): (point: CrashPoint) => boolean {
  const reached = new Map<CrashPoint, number>();
  return (point) => {
    const nth = plan.get(point);
    if (nth === undefined) return false;
    const arrivals = (reached.get(point) ?? 0) + 1;
    reached.set(point, arrivals);
    return arrivals === nth;
  };
}

const plan = parseCrashPlan(process.env[CRASH_AT_VARIABLE]);
const mustCrash = plan.size === 0 ? undefined : crashCounter(plan);

/** Dies here (SIGKILL) if MARQUEE_CRASH_AT says so; otherwise does nothing. */
export function crashPoint(point: CrashPoint): void {
  if (mustCrash === undefined) return;
  if (mustCrash(point)) process.kill(process.pid, "SIGKILL");
}

/**
 * The poison switch: MARQUEE_FAIL_CONSUMER names durable consumers (comma-separated) whose handler
 * fails before handling anything, with an error that is not transient, so every event they get is
 * dead-lettered once its deliveries are spent. Read once, when this module loads: clearing the
 * switch means restarting the process without it, as deploying a fix would.
 */
export const FAIL_CONSUMER_VARIABLE = "MARQUEE_FAIL_CONSUMER";

export function parseFailingConsumers(spec: string | undefined): ReadonlySet<string> {
  return new Set(
    (spec ?? "")
      .split(",")
      .map((durable) => durable.trim())
      .filter((durable) => durable !== ""),
  );
}

const failingConsumers = parseFailingConsumers(process.env[FAIL_CONSUMER_VARIABLE]);

/** Throws "poison switch: <durable>" if MARQUEE_FAIL_CONSUMER names the consumer; otherwise does nothing. */
export function poisonSwitch(durable: string, failing: ReadonlySet<string> = failingConsumers): void {
  if (failing.has(durable)) throw new Error(`poison switch: ${durable}`);
}
