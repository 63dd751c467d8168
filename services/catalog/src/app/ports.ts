import type { OutgoingEvent } from "@marquee/platform";
import type { ShowCursor } from "../domain/listing.js";
import type { Show, ShowStatus } from "../domain/show.js";

export interface ShowQuery {
  statuses: ShowStatus[];
  /** Folded query words: each must be the prefix of one of a show's search terms. */
  words: string[];
  tag: string | undefined;
  organizationId: string | undefined;
  /** Inclusive. */
  startsAfter: Date | undefined;
  /** Exclusive. */
  startsBefore: Date | undefined;
  /** Shows sorting after this one (by start time, then id). */
  after: ShowCursor | undefined;
  limit: number;
}

/** The catalog database. Every write carries the events it publishes (outbox, same document update). */
export interface ShowStore {
  insert(show: Show, events: OutgoingEvent[]): Promise<void>;
  find(showId: string): Promise<Show | undefined>;
  /** Stores `show` over version `show.version - 1`; false when the stored show has moved on meanwhile. */
  replace(show: Show, events: OutgoingEvent[]): Promise<boolean>;
  /** Ordered by start time, then id. */
  list(query: ShowQuery): Promise<Show[]>;
}

export interface CatalogEvents {
  showCreated(show: Show): OutgoingEvent;
  showUpdated(show: Show): OutgoingEvent;
  showPublished(show: Show): OutgoingEvent;
}

export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  newId(): string;
}

export interface CatalogDeps {
  store: ShowStore;
  events: CatalogEvents;
  clock: Clock;
  ids: IdGenerator;
}
