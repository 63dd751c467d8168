import type { Pool } from "pg";
import type { Schedule } from "@marquee/platform";
import { defineGauge } from "@marquee/platform/telemetry/metrics";
import type { SagaKind } from "../../app/ports.js";

const KINDS: readonly SagaKind[] = ["purchase", "cancel", "compensate", "deadline"];

const open = defineGauge({
  name: "marquee_sagas_open",
  help: "Saga rows not ended yet, by kind; compensate = purchases given up whose seats or money are still owed (retried until done).",
  labelNames: ["kind"],
});

/** Counts the stored sagas every `intervalMs` (a schedule: a slow database slows the count, never a scrape). */
export function sagaBacklogSchedule(pool: Pool, intervalMs = 10_000): Schedule {
  return {
    name: "count open sagas",
    intervalMs,
    run: async () => {
      const { rows } = await pool.query<{ kind: SagaKind; open: number }>({
        name: "sagas_open",
        text: "SELECT kind, count(*)::int AS open FROM sagas GROUP BY kind",
      });
      for (const kind of KINDS) open.labels(kind).set(rows.find((row) => row.kind === kind)?.open ?? 0);
    },
  };
}
