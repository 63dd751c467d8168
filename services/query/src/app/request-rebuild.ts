import type { AuditLog } from "@marquee/platform";
import { ActionOutcome } from "@marquee/proto/marquee/admin/v1/audit";
import type { ProjectionName } from "../domain/projections.js";
import type { RebuildJobs, RebuildRun } from "./rebuild-jobs.js";

/** The audit log's name for an operator's rebuild. */
export const REBUILD_ACTION = "projection.rebuild";

/**
 * An operator asks for a projection to be rebuilt, saying why. Its start is the audited action
 * (who, why, and what came of it): a new rebuild is APPLIED; a call while one runs follows that
 * one and is ALREADY_DONE. The record is written when the rebuild starts, not when it ends:
 * GetProjectionStatus (last_rebuild) says how it ended.
 */
export async function requestRebuild(
  audit: AuditLog,
  jobs: RebuildJobs,
  projection: ProjectionName,
  reason: string,
): Promise<RebuildRun> {
  let run: RebuildRun | undefined;
  await audit.perform({ action: REBUILD_ACTION, target: projection, reason }, () => {
    run = jobs.begin(projection);
    return Promise.resolve(
      run.started ? ActionOutcome.ACTION_OUTCOME_APPLIED : ActionOutcome.ACTION_OUTCOME_ALREADY_DONE,
    );
  });
  // perform resolves only after running the action, which sets it.
  if (!run) throw new Error(`${REBUILD_ACTION} ${projection}: the audit log did not run the action`);
  return run;
}
