/**
 * The read side's lag under load: the query service's own GetProjectionStatus, asked every
 * `intervalMs` while the load runs. Each answer's `lag_seconds` per projection is the age of the
 * oldest event its consumer has not applied yet (JetStream's store time, so the outbox relay's
 * delay is not in it; 0 when nothing is pending). One status call reads the projection registry
 * and three JetStream infos per projection, so sampling costs the query service, FerretDB and NATS
 * a little CPU: every 250 ms by default.
 */
import { createClient } from "@marquee/platform";
import { QueryServiceClient } from "@marquee/proto/marquee/query/v1/query_service";
import { percentile } from "./purchase-load.js";

export interface ProjectionLag {
  /** Per projection: p99 and max of the sampled lag, ms; `pendingMax` = most events seen waiting. */
  byProjection: { name: string; p99Ms: number; maxMs: number; pendingMax: number }[];
  /** Per sample, the largest lag of any projection: its p99, ms. */
  p99Ms: number;
  samples: number;
  /** Status calls that failed (counted, not fatal: the load goes on). */
  failures: number;
}

/** Starts sampling; the returned function stops and reports. */
export function sampleProjectionLag(queryAddress: string, intervalMs = 250): () => Promise<ProjectionLag> {
  const client = createClient(QueryServiceClient, queryAddress, { defaultTimeoutMs: 5_000 });
  const lags = new Map<string, number[]>();
  const pendings = new Map<string, number>();
  const worst: number[] = [];
  let failures = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const next = performance.now() + intervalMs;
      try {
        const { projections } = await client.call.getProjectionStatus({ projection: "" });
        for (const status of projections) {
          lags.set(status.name, [...(lags.get(status.name) ?? []), status.lagSeconds * 1000]);
          pendings.set(status.name, Math.max(pendings.get(status.name) ?? 0, status.pendingMessages));
        }
        worst.push(Math.max(0, ...projections.map((s) => s.lagSeconds * 1000)));
      } catch {
        failures++;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
    }
  })();
  return async () => {
    running = false;
    await loop;
    client.close();
    return {
      byProjection: [...lags].map(([name, values]) => ({
        name,
        p99Ms: percentile(values, 99),
        maxMs: Math.max(...values),
        pendingMax: pendings.get(name) ?? 0,
      })),
      p99Ms: percentile(worst, 99),
      samples: worst.length,
      failures,
    };
  };
}
