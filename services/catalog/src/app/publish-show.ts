import { failedPrecondition } from "@marquee/platform";
import type { Caller } from "../domain/access.js";
import { publishShow as publish, publishViolation, type Show } from "../domain/show.js";
import type { CatalogDeps } from "./ports.js";
import { editableShow, staleShow } from "./show-access.js";

/** Idempotent: publishing a published show returns it and publishes no event. */
export async function publishShow(deps: CatalogDeps, caller: Caller, showId: string): Promise<Show> {
  const show = await editableShow(deps, caller, showId);
  if (show.status === "published") return show;
  const now = deps.clock.now();
  const violation = publishViolation(show, now);
  if (violation) throw failedPrecondition(violation.message, violation.reason);
  const published = publish(show, now);
  if (await deps.store.replace(published, [deps.events.showPublished(published)])) return published;
  // Someone else wrote first: if that was a publish too, this one has nothing left to do.
  const current = await deps.store.find(showId);
  if (current?.status === "published") return current;
  throw staleShow(showId, show.version, current?.version);
}
