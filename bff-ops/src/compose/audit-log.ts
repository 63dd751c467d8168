import { z } from "zod";
import { pageTokenCodec } from "@marquee/platform";
import { SERVICES, type ServiceName } from "../clients.js";
import type { OpsDeps } from "../deps.js";
import { auditRecordView, type AuditRecordView } from "../views/admin.js";
import { askEveryService } from "./every-service.js";

/**
 * Where the merged log stands in each service's part: the sequence to read before (0: from its
 * newest). A service left out has no older records.
 */
export type AuditCursor = Partial<Record<ServiceName, number>>;

export const auditCursor = pageTokenCodec({
  json: z.object({ before: z.partialRecord(z.enum(SERVICES), z.number().int().min(0)) }),
  toJson: (cursor: { before: AuditCursor }) => cursor,
  field: "cursor",
});

export interface AuditPage {
  records: AuditRecordView[];
  nextCursor: string | null;
  degraded: string[];
}

/**
 * The audit log of every service merged, newest first: each service's next `pageSize` records
 * after the cursor, the newest `pageSize` of them all, and a cursor that resumes each service
 * after the last of its records shown. A service that does not answer is listed in `degraded`
 * (and asked again from the same place on the next page).
 */
export async function auditLog(
  deps: OpsDeps,
  query: { pageSize: number; target: string; before?: AuditCursor | undefined },
): Promise<AuditPage> {
  const before: AuditCursor = query.before ?? Object.fromEntries(SERVICES.map((service) => [service, 0]));
  const asked = SERVICES.filter((service) => before[service] !== undefined);
  const { answers, degraded } = await askEveryService(
    deps,
    (service) =>
      deps.clients.admin[service].listAuditRecords({
        pageSize: query.pageSize,
        beforeSequence: before[service] ?? 0,
        target: query.target,
      }),
    asked,
  );
  const merged = [...answers].flatMap(([service, answer]) =>
    answer.records.map((record) => ({ service, record, view: auditRecordView(record) })),
  );
  merged.sort((a, b) => (b.record.at?.getTime() ?? 0) - (a.record.at?.getTime() ?? 0));
  const shown = merged.slice(0, query.pageSize);

  const next: AuditCursor = {};
  for (const service of asked) {
    const answer = answers.get(service);
    if (!answer) {
      next[service] = before[service];
      continue;
    }
    const mine = shown.filter((entry) => entry.service === service);
    const all = mine.length === answer.records.length;
    if (!all) next[service] = mine.at(-1)?.record.sequence ?? before[service];
    else if (answer.nextBeforeSequence !== 0) next[service] = answer.nextBeforeSequence;
  }
  const more = Object.keys(next).length > 0;
  return {
    records: shown.map((entry) => entry.view),
    nextCursor: more ? auditCursor.encode({ before: next }) : null,
    degraded,
  };
}
