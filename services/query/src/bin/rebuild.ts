#!/usr/bin/env node
/**
 * Rebuilds a projection of the query service and draws its progress:
 *
 *   npm run rebuild -- <projection> --reason "<why>" [--addr host:port]
 *
 * projections: my-orders, partner-orders, organizer-sales, availability. The reason is required:
 * the rebuild is an operator action, kept in the query service's audit log with who asked. The
 * address defaults to QUERY_ADDR or 127.0.0.1:50056. Exits 0 when the rebuild is done, 1 (with the
 * reason) if it fails, 2 on a usage error.
 */
import { parseArgs } from "node:util";
import { Metadata, type ServiceError } from "@grpc/grpc-js";
import { createClient, fromServiceError, isServiceError } from "@marquee/platform";
import {
  QueryServiceClient,
  RebuildPhase,
  type RebuildProjectionResponse,
} from "@marquee/proto/marquee/query/v1/query_service";
import { PROJECTION_NAMES } from "../domain/projections.js";
import { progressLine } from "./progress-bar.js";

const DEADLINE_MS = 6 * 3_600_000;
const LINE_EVERY_MS = 2_000;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      addr: { type: "string", default: process.env.QUERY_ADDR ?? "127.0.0.1:50056" },
      reason: { type: "string", default: "" },
    },
  });
  const projection = positionals[0];
  const reason = values.reason.trim();
  if (!projection || positionals.length > 1 || !reason) {
    process.stderr.write(
      `usage: npm run rebuild -- <${PROJECTION_NAMES.join("|")}> --reason "<why>" [--addr host:port]\n`,
    );
    return 2;
  }
  const client = createClient(QueryServiceClient, values.addr, { defaultTimeoutMs: DEADLINE_MS });
  const tty = process.stdout.isTTY;
  let lastLine = "";
  let lastPrintedAt = 0;
  let lastPhase: RebuildPhase | undefined;
  try {
    const call = client.raw.rebuildProjection({ projection, reason }, new Metadata(), {
      deadline: Date.now() + DEADLINE_MS,
    });
    for await (const message of call as AsyncIterable<RebuildProjectionResponse>) {
      const progress = message.progress;
      if (!progress) continue;
      lastLine = progressLine(progress);
      if (tty) {
        // Each phase keeps its last line; the current one is redrawn in place.
        if (lastPhase !== undefined && progress.phase !== lastPhase) process.stdout.write("\n");
        process.stdout.write(`\r${lastLine}\x1b[K`);
      } else if (progress.phase !== lastPhase || Date.now() - lastPrintedAt >= LINE_EVERY_MS) {
        process.stdout.write(`${lastLine}\n`);
        lastPrintedAt = Date.now();
      }
      lastPhase = progress.phase;
    }
    if (tty) process.stdout.write("\n");
    if (lastPhase !== RebuildPhase.REBUILD_PHASE_DONE) {
      process.stderr.write(`${projection}: the rebuild stream ended before the rebuild was done\n`);
      return 1;
    }
    process.stdout.write(`${projection}: rebuilt\n`);
    return 0;
  } catch (error) {
    if (tty && lastLine) process.stdout.write("\n");
    const reason = isServiceError(error) ? fromServiceError(error as ServiceError).message : String(error);
    process.stderr.write(`${projection}: rebuild failed: ${reason}\n`);
    return 1;
  } finally {
    client.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
