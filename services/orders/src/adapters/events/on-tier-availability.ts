import type { IncomingEvent, Subscription } from "@marquee/platform";
import { InventoryEvents as I } from "@marquee/proto/events";
import type { OrdersDeps, TierAvailabilityReport } from "../../app/ports.js";
import { recordTierAvailability } from "../../app/record-tier-availability.js";

export const TIER_AVAILABILITY_DURABLE = "orders-on-tier-availability";

/**
 * Both saga modes: inventory's sold-out / back-on-sale reports (and StockChanged, which carries
 * what a tier has when it is put on sale or resized). Idempotent without an inbox: a report older
 * than the recorded one (by stream sequence) changes nothing.
 */
export function tierAvailabilitySubscription(deps: Pick<OrdersDeps, "store">): Subscription {
  return {
    durable: TIER_AVAILABILITY_DURABLE,
    events: [I.tierSoldOut, I.tierBackOnSale, I.stockChanged],
    handler: async (event: IncomingEvent) => {
      const report = reportOf(event);
      if (report) await recordTierAvailability(deps, report);
    },
  };
}

function reportOf(event: IncomingEvent): TierAvailabilityReport | undefined {
  const sequence = event.streamSequence;
  switch (event.type) {
    case I.tierSoldOut.typeName: {
      const { showId, tierId } = I.tierSoldOut.codec.decode(event.payload);
      return { showId, tierId, soldOut: true, sequence };
    }
    case I.tierBackOnSale.typeName: {
      const { showId, tierId } = I.tierBackOnSale.codec.decode(event.payload);
      return { showId, tierId, soldOut: false, sequence };
    }
    case I.stockChanged.typeName: {
      const { showId, tierId, available } = I.stockChanged.codec.decode(event.payload);
      return { showId, tierId, soldOut: available <= 0, sequence };
    }
    default:
      return undefined;
  }
}
