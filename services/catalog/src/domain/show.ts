import { searchTermsOf } from "./search-terms.js";

export type ShowStatus = "draft" | "published";

export interface Money {
  /** In the currency's minor unit (cents). */
  amountMinor: number;
  /** ISO 4217, upper case. */
  currency: string;
}

export interface Venue {
  name: string;
  city: string;
  address: string;
}

export interface TicketTier {
  tierId: string;
  name: string;
  price: Money;
  capacity: number;
  description: string;
}

/** What an organizer writes about a show; everything else is kept by the catalog. */
export interface ShowContent {
  title: string;
  description: string;
  venue: Venue;
  startsAt: Date;
  tags: string[];
  tiers: TicketTier[];
}

export interface Show extends ShowContent {
  showId: string;
  organizationId: string;
  status: ShowStatus;
  /** 1 when created, +1 on every change: the optimistic concurrency check. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
  publishedAt: Date | undefined;
  /** Normalized words of title, venue and tags, for prefix search. */
  searchTerms: string[];
}

/** A tier as written by an organizer: without an id it is a new tier. */
export type TierDraft = Omit<TicketTier, "tierId"> & { tierId: string | undefined };

export type ShowDraft = Omit<ShowContent, "tiers"> & { tiers: TierDraft[] };

/** A partial update: what is undefined keeps its value; tags and tiers, when given, replace the list. */
export type ShowChanges = Partial<ShowDraft>;

export const SHOW_RULES = {
  title: { min: 1, max: 200 },
  description: { max: 5000 },
  venueName: { min: 1, max: 120 },
  venueCity: { min: 1, max: 120 },
  venueAddress: { max: 300 },
  tags: { max: 20 },
  tag: { min: 1, max: 40, pattern: /^[a-z0-9-]+$/ },
  tiers: { min: 1, max: 20 },
  tierName: { min: 1, max: 80 },
  tierDescription: { max: 1000 },
  amountMinor: { min: 0, max: 100_000_000 },
  currency: { pattern: /^[A-Z]{3}$/ },
  capacity: { min: 1, max: 100_000 },
} as const;

/** Why a change is refused; `reason` is machine-readable (google.rpc.ErrorInfo). */
export interface RuleViolation {
  reason: string;
  message: string;
}

export interface Identity {
  now: Date;
  newId: () => string;
}

export function draftShow(showId: string, organizationId: string, draft: ShowDraft, { now, newId }: Identity): Show {
  const content = { ...draft, tags: uniqueTags(draft.tags), tiers: assignTierIds(draft.tiers, newId) };
  return {
    ...content,
    showId,
    organizationId,
    status: "draft",
    version: 1,
    createdAt: now,
    updatedAt: now,
    publishedAt: undefined,
    searchTerms: searchTermsOf(content),
  };
}

/** The show after the changes, one version on; the same object when nothing would change. */
export function changeShow(show: Show, changes: ShowChanges, { now, newId }: Identity): Show {
  const content: ShowContent = {
    title: changes.title ?? show.title,
    description: changes.description ?? show.description,
    venue: changes.venue ?? show.venue,
    startsAt: changes.startsAt ?? show.startsAt,
    tags: changes.tags ? uniqueTags(changes.tags) : show.tags,
    tiers: changes.tiers ? assignTierIds(changes.tiers, newId) : show.tiers,
  };
  if (sameContent(show, content)) return show;
  return { ...show, ...content, version: show.version + 1, updatedAt: now, searchTerms: searchTermsOf(content) };
}

/** A published show is on sale: its tiers may grow, not shrink, disappear or change currency. */
export function tierChangeViolation(show: Show, tiers: TicketTier[]): RuleViolation | undefined {
  if (show.status !== "published") return undefined;
  for (const before of show.tiers) {
    const after = tiers.find((tier) => tier.tierId === before.tierId);
    if (!after) {
      return { reason: "TIER_REMOVED", message: `tier ${before.tierId} of a published show cannot be removed` };
    }
    if (after.price.currency !== before.price.currency) {
      return { reason: "CURRENCY_CHANGED", message: `the currency of a published show's tiers cannot change` };
    }
    if (after.capacity < before.capacity) {
      return {
        reason: "CAPACITY_LOWERED",
        message: `the capacity of tier ${before.tierId} of a published show cannot go below ${before.capacity}`,
      };
    }
  }
  return undefined;
}

export function publishViolation(show: Show, now: Date): RuleViolation | undefined {
  if (show.tiers.length === 0) return { reason: "NO_TIERS", message: "a show needs at least one tier to be published" };
  if (!startsInFuture(show.startsAt, now)) {
    return { reason: "STARTS_IN_PAST", message: "a show can only be published before it starts" };
  }
  return undefined;
}

/** Publishing a published show changes nothing (same object). */
export function publishShow(show: Show, now: Date): Show {
  if (show.status === "published") return show;
  return { ...show, status: "published", version: show.version + 1, updatedAt: now, publishedAt: now };
}

export function startsInFuture(startsAt: Date, now: Date): boolean {
  return startsAt.getTime() > now.getTime();
}

function assignTierIds(tiers: TierDraft[], newId: () => string): TicketTier[] {
  return tiers.map((tier) => ({ ...tier, tierId: tier.tierId || newId() }));
}

function uniqueTags(tags: string[]): string[] {
  return [...new Set(tags)];
}

function sameContent(show: ShowContent, content: ShowContent): boolean {
  return JSON.stringify(comparable(show)) === JSON.stringify(comparable(content));
}

/** Content as plain values in a fixed order, whatever order the objects' keys were written in. */
function comparable({ title, description, venue, startsAt, tags, tiers }: ShowContent): unknown[] {
  return [
    title,
    description,
    [venue.name, venue.city, venue.address],
    startsAt.getTime(),
    tags,
    tiers.map((t) => [t.tierId, t.name, t.price.amountMinor, t.price.currency, t.capacity, t.description]),
  ];
}
