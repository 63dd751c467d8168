import { createClient, DomainError } from "@marquee/platform";
import { InventoryServiceClient, ReservationOutcome } from "@marquee/proto/marquee/inventory/v1/inventory_service";
import type { InventoryGateway, Reservation } from "../../app/ports.js";
import type { OrderState } from "../../domain/order.js";

const money = (m: { amountMinor: number; currency: string } | undefined) => ({
  amountMinor: m?.amountMinor ?? 0,
  currency: m?.currency ?? "",
});

/** inventory over gRPC; every call is idempotent by order id, so all are retried on UNAVAILABLE. */
export function inventoryGateway(address: string, timeoutMs: number): InventoryGateway & { close(): void } {
  const client = createClient(InventoryServiceClient, address, {
    defaultTimeoutMs: timeoutMs,
    idempotentMethods: ["ReserveSeats", "ReleaseSeats", "ConfirmSeats", "GetAvailability"],
  });
  const inventory = client.call;
  return {
    async reserveSeats(order: OrderState): Promise<Reservation> {
      const { outcome, hold } = await inventory.reserveSeats({
        orderId: order.orderId,
        showId: order.showId,
        tierId: order.tierId,
        quantity: order.quantity,
        buyerId: order.buyerId,
      });
      if (outcome === ReservationOutcome.RESERVATION_OUTCOME_OUT_OF_STOCK) return { outcome: "out_of_stock" };
      if (outcome === ReservationOutcome.RESERVATION_OUTCOME_NOT_ON_SALE) return { outcome: "not_on_sale" };
      if (outcome !== ReservationOutcome.RESERVATION_OUTCOME_RESERVED || !hold) {
        throw new Error(`unexpected reservation outcome ${outcome}`);
      }
      return {
        outcome: "reserved",
        hold: {
          unitPrice: money(hold.unitPrice),
          total: money(hold.total),
          organizationId: hold.organizationId,
          showStartsAt: hold.showStartsAt ?? new Date(0),
          holdExpiresAt: hold.expiresAt,
        },
      };
    },
    async releaseSeats(orderId: string, reason: string): Promise<void> {
      await inventory.releaseSeats({ orderId, reason });
    },
    async confirmSeats(orderId: string): Promise<boolean> {
      try {
        await inventory.confirmSeats({ orderId });
        return true;
      } catch (error) {
        if (error instanceof DomainError && error.kind === "failed_precondition" && error.reason === "HOLD_EXPIRED") {
          return false;
        }
        throw error;
      }
    },
    close: () => client.close(),
  };
}
