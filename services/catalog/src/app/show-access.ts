import { DomainError, notFound, permissionDenied } from "@marquee/platform";
import { canEditShows, type Caller } from "../domain/access.js";
import type { Show } from "../domain/show.js";
import type { CatalogDeps } from "./ports.js";

/** The show to change: NOT_FOUND when missing, PERMISSION_DENIED unless the caller organizes it. */
export async function editableShow(deps: CatalogDeps, caller: Caller, showId: string): Promise<Show> {
  const show = await deps.store.find(showId);
  if (!show) throw notFound("show");
  if (!canEditShows(caller, show.organizationId)) {
    throw permissionDenied("only organizers of the show's organization may change it");
  }
  return show;
}

/** ABORTED: the show is no longer at the version the caller (or this call) read. */
export function staleShow(showId: string, expected: number, actual?: number): DomainError {
  const now = actual === undefined ? "has changed since" : `is at version ${actual}, not`;
  return new DomainError("aborted", `show ${showId} ${now} version ${expected}: read it again`, {
    reason: "STALE_VERSION",
  });
}
