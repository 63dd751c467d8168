import { failedPrecondition, invalidArgument } from "@marquee/platform";
import type { Caller } from "../domain/access.js";
import { changeShow, startsInFuture, tierChangeViolation, type Show, type ShowChanges } from "../domain/show.js";
import type { CatalogDeps } from "./ports.js";
import { editableShow, staleShow } from "./show-access.js";

export interface UpdateShowInput {
  showId: string;
  /** 0: no check. */
  expectedVersion: number;
  changes: ShowChanges;
}

/** A change that changes nothing returns the show as it is: no new version, no event. */
export async function updateShow(deps: CatalogDeps, caller: Caller, input: UpdateShowInput): Promise<Show> {
  const show = await editableShow(deps, caller, input.showId);
  if (input.expectedVersion !== 0 && input.expectedVersion !== show.version) {
    throw staleShow(show.showId, input.expectedVersion, show.version);
  }
  const now = deps.clock.now();
  if (input.changes.startsAt && !startsInFuture(input.changes.startsAt, now)) {
    throw invalidArgument([{ field: "starts_at", description: "must be in the future" }]);
  }
  const changed = changeShow(show, input.changes, { now, newId: () => deps.ids.newId() });
  if (changed === show) return show;
  const violation = tierChangeViolation(show, changed.tiers);
  if (violation) throw failedPrecondition(violation.message, violation.reason);
  if (!(await deps.store.replace(changed, [deps.events.showUpdated(changed)]))) {
    throw staleShow(show.showId, show.version);
  }
  return changed;
}
