import { canSeeDrafts, type Caller } from "../domain/access.js";
import { cursorOf, type ShowCursor } from "../domain/listing.js";
import { wordsOf } from "../domain/search-terms.js";
import type { Show } from "../domain/show.js";
import type { CatalogDeps } from "./ports.js";

export interface ListShowsInput {
  text: string;
  tag: string | undefined;
  organizationId: string | undefined;
  startsAfter?: Date | undefined;
  startsBefore?: Date | undefined;
  pageSize: number;
  after: ShowCursor | undefined;
}

/** Published shows; an organization's own members also see its drafts when they list it. */
export async function listShows(
  deps: CatalogDeps,
  caller: Caller | undefined,
  input: ListShowsInput,
): Promise<{ shows: Show[]; next: ShowCursor | undefined }> {
  const { organizationId, pageSize } = input;
  const drafts = organizationId !== undefined && canSeeDrafts(caller, organizationId);
  const found = await deps.store.list({
    statuses: drafts ? ["draft", "published"] : ["published"],
    words: wordsOf(input.text),
    tag: input.tag,
    organizationId,
    startsAfter: input.startsAfter,
    startsBefore: input.startsBefore,
    after: input.after,
    // One more than asked: whether it exists says if there is a next page.
    limit: pageSize + 1,
  });
  const shows = found.slice(0, pageSize);
  const last = shows.at(-1);
  return { shows, next: found.length > pageSize && last ? cursorOf(last) : undefined };
}
