import type { Show, TicketTier } from "@marquee/proto/marquee/catalog/v1/catalog_service";
import type { TierAvailability } from "@marquee/proto/marquee/inventory/v1/inventory_service";

/**
 * Compact shows for small screens. The keys are part of the API (README "Payloads"); they never
 * change meaning. Money is an integer in the currency's minor unit (cents) plus `cur` (ISO 4217).
 * `avail` is seats left; null when live availability could not be had in time (see `degraded`).
 */

/** A feed card: id, title, startsAt, venue (name), city, price (the cheapest tier), cur, avail (all tiers). */
export interface ShowCard {
  id: string;
  title: string;
  startsAt: string | null;
  venue: string;
  city: string;
  price: number | null;
  cur: string | null;
  avail: number | null;
}

export const SHOW_CARD_FIELDS = ["id", "title", "startsAt", "venue", "city", "price", "cur", "avail"] as const;

/** A tier: id, name, price, cur, avail, desc. */
export interface TierView {
  id: string;
  name: string;
  price: number;
  cur: string;
  avail: number | null;
  desc: string;
}

/** The show screen: the card's keys, plus desc, addr (venue address), org, tags, tiers. */
export interface ShowDetail extends ShowCard {
  desc: string;
  addr: string;
  org: string;
  tags: string[];
  tiers: TierView[];
}

export const SHOW_DETAIL_FIELDS = [...SHOW_CARD_FIELDS, "desc", "addr", "org", "tags", "tiers"] as const;

/** Seats left per tier id, from one inventory GetAvailability call (undefined: not known). */
export type Availability = ReadonlyMap<string, number> | undefined;

export function availabilityOf(tiers: TierAvailability[] | undefined): Availability {
  return tiers ? new Map(tiers.map((tier) => [`${tier.showId}/${tier.tierId}`, tier.available])) : undefined;
}

export function showCard(show: Show, availability: Availability): ShowCard {
  const cheapest = [...show.tiers].sort((a, b) => (a.price?.amountMinor ?? 0) - (b.price?.amountMinor ?? 0))[0];
  const seats = show.tiers.map((tier) => seatsLeft(show, tier, availability));
  return {
    id: show.showId,
    title: show.title,
    startsAt: show.startsAt?.toISOString() ?? null,
    venue: show.venue?.name ?? "",
    city: show.venue?.city ?? "",
    price: cheapest?.price ? cheapest.price.amountMinor : null,
    cur: cheapest?.price?.currency ?? null,
    avail: seats.some((n) => n === null) ? null : seats.reduce<number>((sum, n) => sum + (n ?? 0), 0),
  };
}

export function showDetail(show: Show, availability: Availability): ShowDetail {
  return {
    ...showCard(show, availability),
    desc: show.description,
    addr: show.venue?.address ?? "",
    org: show.organizationId,
    tags: show.tags,
    tiers: show.tiers.map((tier) => ({
      id: tier.tierId,
      name: tier.name,
      price: tier.price?.amountMinor ?? 0,
      cur: tier.price?.currency ?? "",
      avail: seatsLeft(show, tier, availability),
      desc: tier.description,
    })),
  };
}

/** A tier inventory does not know (yet) has no seats on sale: 0, not "unknown". */
function seatsLeft(show: Show, tier: TicketTier, availability: Availability): number | null {
  if (!availability) return null;
  return availability.get(`${show.showId}/${tier.tierId}`) ?? 0;
}
