import { invalidArgument, permissionDenied } from "@marquee/platform";
import { canEditShows, type Caller } from "../domain/access.js";
import { draftShow, startsInFuture, type Show, type ShowDraft } from "../domain/show.js";
import type { CatalogDeps } from "./ports.js";

/** A new draft of the caller's organization, visible to its members until published. */
export async function createShow(
  deps: CatalogDeps,
  caller: Caller,
  organizationId: string,
  draft: ShowDraft,
): Promise<Show> {
  if (!canEditShows(caller, organizationId)) {
    throw permissionDenied("only organizers of the organization may create its shows");
  }
  const now = deps.clock.now();
  if (!startsInFuture(draft.startsAt, now)) {
    throw invalidArgument([{ field: "starts_at", description: "must be in the future" }]);
  }
  const show = draftShow(deps.ids.newId(), organizationId, draft, { now, newId: () => deps.ids.newId() });
  await deps.store.insert(show, [deps.events.showCreated(show)]);
  return show;
}
