import type { Show, TicketTier } from "@marquee/proto/marquee/catalog/v1/catalog_service";
import type { TierAvailability } from "@marquee/proto/marquee/inventory/v1/inventory_service";
import type { ShowSummaryView, ShowView } from "../contract/shows.js";
import { isoOf, moneyView, optionalIsoOf } from "./money.js";

const tierView = (tier: TicketTier) => ({
  id: tier.tierId,
  name: tier.name,
  description: tier.description,
  price: moneyView(tier.price ?? { amountMinor: 0, currency: "EUR" }),
});

export function showSummaryView(show: Show): ShowSummaryView {
  return {
    id: show.showId,
    organization_id: show.organizationId,
    title: show.title,
    description: show.description,
    venue: { name: show.venue?.name ?? "", city: show.venue?.city ?? "", address: show.venue?.address ?? "" },
    starts_at: isoOf(show.startsAt),
    tags: show.tags,
    published_at: optionalIsoOf(show.publishedAt),
    tiers: show.tiers.map(tierView),
  };
}

/** The show with each tier's live stock; `availability` null means it did not answer in time. */
export function showView(show: Show, availability: TierAvailability[] | null): ShowView {
  const { tiers, ...summary } = showSummaryView(show);
  return {
    ...summary,
    tiers: tiers.map((tier) => {
      const stock = availability?.find((a) => a.tierId === tier.id);
      return {
        ...tier,
        availability: availability ? { capacity: stock?.capacity ?? 0, available: stock?.available ?? 0 } : null,
      };
    }),
    degraded: availability ? [] : ["availability"],
  };
}
