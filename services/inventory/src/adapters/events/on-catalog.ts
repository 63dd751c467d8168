import { decodeEvent, type IncomingEvent, type ServiceRuntime, type Subscription } from "@marquee/platform";
import { CatalogEvents } from "@marquee/proto/events";
import { ShowStatus, type Show } from "@marquee/proto/marquee/catalog/v1/catalog_service";
import { applyPublishedShow } from "../../app/apply-published-show.js";
import type { PublishedShow } from "../../domain/stock.js";
import type { Inbox } from "../../app/ports.js";

export const CATALOG_DURABLE = "inventory-on-catalog";

/** Stock follows catalog: a published show's tiers go on sale; later updates change capacity and price. */
export function catalogSubscription(inbox: Inbox, logger: ServiceRuntime["logger"]): Subscription {
  return {
    durable: CATALOG_DURABLE,
    events: [CatalogEvents.showPublished, CatalogEvents.showUpdated],
    handler: inbox(CATALOG_DURABLE, async (event, deps) => {
      const show = publishedShow(showOf(event));
      if (!show) return; // a draft is not on sale
      const plan = await applyPublishedShow(deps, show);
      for (const change of plan?.changes ?? []) {
        if (change.requestedCapacity === undefined) continue;
        logger.warn(
          {
            showId: show.showId,
            tierId: change.stock.tierId,
            requested: change.requestedCapacity,
            capacity: change.stock.capacity,
          },
          "capacity below seats held and sold: clamped",
        );
      }
    }),
  };
}

function showOf(event: IncomingEvent): Show | undefined {
  const type =
    event.type === CatalogEvents.showPublished.typeName ? CatalogEvents.showPublished : CatalogEvents.showUpdated;
  return decodeEvent(type, event).show;
}

/** Undefined for a draft. A published show without its start or prices is a broken event: it fails (and is dead-lettered). */
function publishedShow(show: Show | undefined): PublishedShow | undefined {
  if (!show || show.status !== ShowStatus.SHOW_STATUS_PUBLISHED) return undefined;
  if (!show.startsAt) throw new Error(`published show ${show.showId} has no start`);
  return {
    showId: show.showId,
    organizationId: show.organizationId,
    startsAt: show.startsAt,
    version: show.version,
    tiers: show.tiers.map((tier) => {
      if (!tier.price) throw new Error(`tier ${tier.tierId} of show ${show.showId} has no price`);
      return { tierId: tier.tierId, capacity: tier.capacity, price: tier.price };
    }),
  };
}
