import { notFound } from "@marquee/platform";
import { isVisibleTo, type Caller } from "../domain/access.js";
import type { Show } from "../domain/show.js";
import type { CatalogDeps } from "./ports.js";

/** A draft of another organization is NOT_FOUND, so drafts cannot be probed. */
export async function getShow(deps: CatalogDeps, caller: Caller | undefined, showId: string): Promise<Show> {
  const show = await deps.store.find(showId);
  if (!show || !isVisibleTo(show, caller)) throw notFound("show");
  return show;
}
