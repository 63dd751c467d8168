import {
  ShowStatus,
  type Show as ShowMessage,
  type TicketTier as TierMessage,
} from "@marquee/proto/marquee/catalog/v1/catalog_service";
import type { Show, ShowStatus as Status, TicketTier } from "../../domain/show.js";

export const statusToProto = (status: Status): ShowStatus =>
  status === "published" ? ShowStatus.SHOW_STATUS_PUBLISHED : ShowStatus.SHOW_STATUS_DRAFT;

export const tierToProto = (tier: TicketTier): TierMessage => ({
  tierId: tier.tierId,
  name: tier.name,
  price: { amountMinor: tier.price.amountMinor, currency: tier.price.currency },
  capacity: tier.capacity,
  description: tier.description,
});

/** The contract's view of a show (the search terms stay inside the catalog). */
export const showToProto = (show: Show): ShowMessage => ({
  showId: show.showId,
  organizationId: show.organizationId,
  title: show.title,
  description: show.description,
  venue: { name: show.venue.name, city: show.venue.city, address: show.venue.address },
  startsAt: show.startsAt,
  tags: [...show.tags],
  tiers: show.tiers.map(tierToProto),
  status: statusToProto(show.status),
  version: show.version,
  createdAt: show.createdAt,
  updatedAt: show.updatedAt,
  publishedAt: show.publishedAt,
});
