import type { HoldStatus, Reservation, UnavailableReason } from "../../domain/hold.js";
import type { TierStock } from "../../domain/stock.js";

export interface StockRow {
  show_id: string;
  tier_id: string;
  capacity: number;
  held: number;
  sold: number;
  /** bigint arrives as a string. */
  price_minor: string;
  currency: string;
}

export interface HoldRow {
  order_id: string;
  show_id: string;
  tier_id: string;
  quantity: number;
  buyer_id: string;
  status: "HELD" | "CONFIRMED" | "RELEASED" | "LOST" | "REJECTED";
  rejection_reason: UnavailableReason | null;
  unit_price_minor: string | null;
  currency: string | null;
  organization_id: string | null;
  show_starts_at: Date | null;
  expires_at: Date | null;
}

export const toStock = (row: StockRow): TierStock => ({
  showId: row.show_id,
  tierId: row.tier_id,
  capacity: row.capacity,
  held: row.held,
  sold: row.sold,
  price: { amountMinor: Number(row.price_minor), currency: row.currency },
});

const STATUS: Record<Exclude<HoldRow["status"], "REJECTED">, HoldStatus> = {
  HELD: "held",
  CONFIRMED: "confirmed",
  RELEASED: "released",
  LOST: "lost",
};

export const HOLD_COLUMNS = `order_id, show_id, tier_id, quantity, buyer_id, status, rejection_reason,
  unit_price_minor, currency, organization_id, show_starts_at, expires_at`;

/** The table's CHECK constraints guarantee these on every row that is not REJECTED. */
function present<T>(value: T | null, column: string, row: HoldRow): T {
  if (value === null) throw new Error(`hold ${row.order_id} (${row.status}) has no ${column}`);
  return value;
}

export function toReservation(row: HoldRow): Reservation {
  const request = {
    orderId: row.order_id,
    showId: row.show_id,
    tierId: row.tier_id,
    quantity: row.quantity,
    buyerId: row.buyer_id,
  };
  if (row.status === "REJECTED") {
    const reason = present(row.rejection_reason, "rejection_reason", row);
    return { outcome: reason, rejection: { ...request, reason } };
  }
  const unitPrice = {
    amountMinor: Number(present(row.unit_price_minor, "unit_price_minor", row)),
    currency: present(row.currency, "currency", row),
  };
  return {
    outcome: "RESERVED",
    hold: {
      ...request,
      status: STATUS[row.status],
      unitPrice,
      total: { amountMinor: unitPrice.amountMinor * row.quantity, currency: unitPrice.currency },
      organizationId: present(row.organization_id, "organization_id", row),
      showStartsAt: present(row.show_starts_at, "show_starts_at", row),
      expiresAt: present(row.expires_at, "expires_at", row),
    },
  };
}
