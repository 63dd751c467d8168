import { newEvent } from "@marquee/platform";
import { InventoryEvents as T } from "@marquee/proto/events";
import type { InventoryEvents, TierRef } from "../../app/ports.js";
import { available } from "../../domain/stock.js";

/** Seat events belong to the order (published in order per order); stock and tier events to the show. */
export function inventoryEvents(namespace: string): InventoryEvents {
  return {
    seatsReserved: (hold, at) =>
      newEvent(
        namespace,
        T.seatsReserved,
        hold.orderId,
        {
          orderId: hold.orderId,
          showId: hold.showId,
          tierId: hold.tierId,
          quantity: hold.quantity,
          buyerId: hold.buyerId,
          unitPrice: hold.unitPrice,
          total: hold.total,
          expiresAt: hold.expiresAt,
          organizationId: hold.organizationId,
          showStartsAt: hold.showStartsAt,
          occurredAt: at,
        },
        { occurredAt: at },
      ),
    seatsUnavailable: (request, reason, at) =>
      newEvent(
        namespace,
        T.seatsUnavailable,
        request.orderId,
        {
          orderId: request.orderId,
          showId: request.showId,
          tierId: request.tierId,
          quantity: request.quantity,
          reason,
          occurredAt: at,
        },
        { occurredAt: at },
      ),
    seatsReleased: (hold, reason, at) =>
      newEvent(
        namespace,
        T.seatsReleased,
        hold.orderId,
        {
          orderId: hold.orderId,
          showId: hold.showId,
          tierId: hold.tierId,
          quantity: hold.quantity,
          reason,
          occurredAt: at,
        },
        { occurredAt: at },
      ),
    seatsConfirmed: (hold, at) =>
      newEvent(
        namespace,
        T.seatsConfirmed,
        hold.orderId,
        { orderId: hold.orderId, showId: hold.showId, tierId: hold.tierId, quantity: hold.quantity, occurredAt: at },
        { occurredAt: at },
      ),
    tierSoldOut: (tier, at) =>
      newEvent(namespace, T.tierSoldOut, tier.showId, { ...tierOf(tier), occurredAt: at }, { occurredAt: at }),
    tierBackOnSale: (tier, at) =>
      newEvent(namespace, T.tierBackOnSale, tier.showId, { ...tierOf(tier), occurredAt: at }, { occurredAt: at }),
    stockChanged: (stock, at) =>
      newEvent(
        namespace,
        T.stockChanged,
        stock.showId,
        {
          showId: stock.showId,
          tierId: stock.tierId,
          capacity: stock.capacity,
          available: available(stock),
          price: stock.price,
          occurredAt: at,
        },
        { occurredAt: at },
      ),
  };
}

const tierOf = ({ showId, tierId }: TierRef) => ({ showId, tierId });
