import { after } from "mocha";
import { backendsOf, startSystem, type System } from "@marquee/system-testing";

/**
 * The services the partner API calls, as the harness runs them (real processes on this run's
 * own NATS, FerretDB and PostgreSQL databases). Started once per mocha process and shared by this
 * package's test files; each file starts its own bff-partner instances (fixture.ts).
 */
export type Services = System;

let started: Promise<Services> | undefined;
let users = 0;
let idle: NodeJS.Timeout | undefined;

/**
 * The shared services, started on first use. Every acquire is paired with a release; when the
 * last user releases them and nobody acquires them again shortly (the next test file of this
 * package does at once), they stop, so the rest of a whole-repository run does not carry them.
 */
export function acquireServices(): Promise<Services> {
  users++;
  clearTimeout(idle);
  started ??= startSystem(backendsOf("bff-partner"), { env: { LOG_LEVEL: "warn", METRICS_PORT: "0" } });
  return started;
}

export function releaseServices(): void {
  users = Math.max(0, users - 1);
  if (users > 0) return;
  clearTimeout(idle);
  idle = setTimeout(() => void stopServices(), 2_000);
}

async function stopServices(): Promise<void> {
  const running = started;
  started = undefined;
  await (await running?.catch(() => undefined))?.stop().catch(() => undefined);
}

// After every test of the run (a root hook), whatever is still running stops.
after(async function () {
  this.timeout(60_000);
  clearTimeout(idle);
  await stopServices();
});
