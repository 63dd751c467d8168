import {
  HoldStatus,
  ReservationOutcome,
  type Hold as HoldMessage,
  type ReserveSeatsResponse,
  type TierAvailability,
} from "@marquee/proto/marquee/inventory/v1/inventory_service";
import {
  SeatsState as SeatsStateMessage,
  type GetOrderSeatsAsOfResponse,
} from "@marquee/proto/marquee/inventory/v1/inventory_admin_service";
import type { OrderSeatsAsOf } from "../../app/get-order-seats-as-of.js";
import type { Hold, HoldStatus as Status, Reservation } from "../../domain/hold.js";
import type { SeatsState } from "../../domain/seats-history.js";
import { available, type TierStock } from "../../domain/stock.js";

// The contract has no "lost": a lost hold's seats are released.
const STATUS: Record<Status, HoldStatus> = {
  held: HoldStatus.HOLD_STATUS_HELD,
  confirmed: HoldStatus.HOLD_STATUS_CONFIRMED,
  released: HoldStatus.HOLD_STATUS_RELEASED,
  lost: HoldStatus.HOLD_STATUS_RELEASED,
};

export const holdToProto = (hold: Hold): HoldMessage => ({
  orderId: hold.orderId,
  showId: hold.showId,
  tierId: hold.tierId,
  quantity: hold.quantity,
  unitPrice: hold.unitPrice,
  total: hold.total,
  status: STATUS[hold.status],
  expiresAt: hold.expiresAt,
  organizationId: hold.organizationId,
  showStartsAt: hold.showStartsAt,
});

const OUTCOME = {
  RESERVED: ReservationOutcome.RESERVATION_OUTCOME_RESERVED,
  OUT_OF_STOCK: ReservationOutcome.RESERVATION_OUTCOME_OUT_OF_STOCK,
  NOT_ON_SALE: ReservationOutcome.RESERVATION_OUTCOME_NOT_ON_SALE,
} as const;

export const reservationToProto = (reservation: Reservation): ReserveSeatsResponse =>
  reservation.outcome === "RESERVED"
    ? { outcome: OUTCOME.RESERVED, hold: holdToProto(reservation.hold) }
    : { outcome: OUTCOME[reservation.outcome] };

export const tierToProto = (stock: TierStock): TierAvailability => ({
  showId: stock.showId,
  tierId: stock.tierId,
  capacity: stock.capacity,
  available: available(stock),
  held: stock.held,
  sold: stock.sold,
  price: stock.price,
});

const SEATS_STATE: Record<SeatsState, SeatsStateMessage> = {
  none: SeatsStateMessage.SEATS_STATE_NONE,
  held: SeatsStateMessage.SEATS_STATE_HELD,
  sold: SeatsStateMessage.SEATS_STATE_SOLD,
  released: SeatsStateMessage.SEATS_STATE_RELEASED,
};

export const seatsAsOfToProto = (seats: OrderSeatsAsOf): GetOrderSeatsAsOfResponse => ({
  showId: seats.showId,
  tierId: seats.tierId,
  state: SEATS_STATE[seats.state],
  quantity: seats.quantity,
  history: seats.history.map((change) => ({
    state: SEATS_STATE[change.state],
    quantity: change.quantity,
    at: change.at,
  })),
});
