import type { Logger, Schedule } from "@marquee/platform";
import { releaseExpiredHolds } from "../../app/release-expired-holds.js";
import type { InventoryDeps } from "../../app/ports.js";

/**
 * Releases expired holds every `intervalMs`, batch after batch while a batch comes back full;
 * backs off while the database is down. Several replicas sweep side by side: each claims
 * different holds (SKIP LOCKED).
 */
export function holdSweeper(deps: InventoryDeps, logger: Logger, intervalMs: number, batchSize = 100): Schedule {
  return {
    name: "hold-sweeper",
    intervalMs,
    batch: async () => {
      const released = await releaseExpiredHolds(deps, batchSize);
      if (released > 0) logger.info({ released }, "released expired holds");
      return released === batchSize;
    },
  };
}
