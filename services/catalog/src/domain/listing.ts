import type { Show } from "./show.js";

/** Shows are listed by start time, then id: a total order, so pages never overlap or skip. */
export interface ShowCursor {
  startsAt: Date;
  showId: string;
}

export function cursorOf(show: Pick<Show, "startsAt" | "showId">): ShowCursor {
  return { startsAt: show.startsAt, showId: show.showId };
}
