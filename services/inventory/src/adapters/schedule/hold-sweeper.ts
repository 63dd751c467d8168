import type { ServiceRuntime } from "@marquee/platform";
import { RelayLoop } from "@marquee/platform/relay-loop";
import { releaseExpiredHolds } from "../../app/release-expired-holds.js";
import type { InventoryDeps } from "../../app/ports.js";

/**
 * Releases expired holds every `intervalMs`, batch after batch while a batch comes back full;
 * backs off while the database is down. Several replicas sweep side by side: each claims
 * different holds (SKIP LOCKED).
 */
export function startHoldSweeper(
  runtime: ServiceRuntime,
  deps: InventoryDeps,
  intervalMs: number,
  batchSize = 100,
): void {
  const sweep = async (): Promise<boolean> => {
    const released = await releaseExpiredHolds(deps, batchSize);
    if (released > 0) runtime.logger.info({ released }, "released expired holds");
    return released === batchSize;
  };
  const loop = new RelayLoop("hold-sweeper", sweep, runtime.logger, { pollIntervalMs: intervalMs });
  loop.start();
  runtime.lifecycle.onShutdown("hold sweeper", () => loop.stop());
}
