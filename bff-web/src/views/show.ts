import { ShowStatus, type Show, type TicketTier } from "@marquee/proto/marquee/catalog/v1/catalog_service";
import type { TierAvailability } from "@marquee/proto/marquee/inventory/v1/inventory_service";
import { iso, moneyView, type MoneyView } from "./money.js";

export interface TierView {
  tierId: string;
  name: string;
  price: MoneyView | null;
  capacity: number;
  description: string;
}

export interface ShowView {
  showId: string;
  organizationId: string;
  title: string;
  description: string;
  venue: { name: string; city: string; address: string };
  startsAt: string | null;
  tags: string[];
  tiers: TierView[];
  status: "draft" | "published";
  version: number;
  publishedAt: string | null;
}

export function showView(show: Show): ShowView {
  return {
    showId: show.showId,
    organizationId: show.organizationId,
    title: show.title,
    description: show.description,
    venue: { name: show.venue?.name ?? "", city: show.venue?.city ?? "", address: show.venue?.address ?? "" },
    startsAt: iso(show.startsAt),
    tags: show.tags,
    tiers: show.tiers.map(tierView),
    status: show.status === ShowStatus.SHOW_STATUS_PUBLISHED ? "published" : "draft",
    version: show.version,
    publishedAt: iso(show.publishedAt),
  };
}

function tierView(tier: TicketTier): TierView {
  return {
    tierId: tier.tierId,
    name: tier.name,
    price: moneyView(tier.price),
    capacity: tier.capacity,
    description: tier.description,
  };
}

/** Live stock of one tier (inventory is authoritative for the price too). */
export interface TierAvailabilityView {
  tierId: string;
  capacity: number;
  available: number;
  held: number;
  sold: number;
  price: MoneyView | null;
}

/** Inventory's answer for several shows, grouped by show (a show with no stock yet has an empty list). */
export function availabilityByShow(showIds: string[], tiers: TierAvailability[]): Map<string, TierAvailabilityView[]> {
  const byShow = new Map<string, TierAvailabilityView[]>(showIds.map((id) => [id, []]));
  for (const tier of tiers) {
    byShow.get(tier.showId)?.push({
      tierId: tier.tierId,
      capacity: tier.capacity,
      available: tier.available,
      held: tier.held,
      sold: tier.sold,
      price: moneyView(tier.price),
    });
  }
  return byShow;
}
