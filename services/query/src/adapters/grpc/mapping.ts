import {
  BuyerKind,
  OrderStatus,
  RebuildPhase,
  type Order,
  type ProjectionStatus as ProjectionStatusMessage,
  type RebuildProgress as ProgressMessage,
  type SalesFigures,
  type ShowAvailability as ShowAvailabilityMessage,
  type ShowSales as ShowSalesMessage,
  type Ticket,
} from "@marquee/proto/marquee/query/v1/query_service";
import type { ProjectionStatus } from "../../app/get-projection-status.js";
import type { MyTicket } from "../../app/list-my-tickets.js";
import type { OrganizationSales } from "../../app/list-organization-sales.js";
import type { ShowAvailability } from "../../domain/availability.js";
import type { OrderStatus as Status, OrderView } from "../../domain/order-view.js";
import type { RebuildPhase as Phase, RebuildProgress } from "../../domain/projections.js";
import type { Figures, ShowSales } from "../../domain/sales.js";

const STATUS: Record<Status, OrderStatus> = {
  pending: OrderStatus.ORDER_STATUS_PENDING,
  confirmed: OrderStatus.ORDER_STATUS_CONFIRMED,
  rejected: OrderStatus.ORDER_STATUS_REJECTED,
  cancelled: OrderStatus.ORDER_STATUS_CANCELLED,
  completed: OrderStatus.ORDER_STATUS_COMPLETED,
};

const PHASE: Record<Phase, RebuildPhase> = {
  starting: RebuildPhase.REBUILD_PHASE_STARTING,
  loading: RebuildPhase.REBUILD_PHASE_LOADING,
  catching_up: RebuildPhase.REBUILD_PHASE_CATCHING_UP,
  switching: RebuildPhase.REBUILD_PHASE_SWITCHING,
  done: RebuildPhase.REBUILD_PHASE_DONE,
};

export function ticketToProto(order: OrderView, ticket: OrderView["tickets"][number]): Ticket {
  return {
    ticketCode: ticket.code,
    orderId: order.orderId,
    showId: order.showId,
    tierId: order.tierId,
    attendeeName: ticket.attendeeName,
    checkedInAt: ticket.checkedInAt,
    showStartsAt: order.showStartsAt,
  };
}

export const myTicketToProto = (ticket: MyTicket): Ticket => ticketToProto(ticket.order, ticket);

export function orderToProto(order: OrderView): Order {
  return {
    orderId: order.orderId,
    buyerKind: order.buyerKind === "partner" ? BuyerKind.BUYER_KIND_PARTNER : BuyerKind.BUYER_KIND_USER,
    buyerId: order.buyerId,
    showId: order.showId,
    tierId: order.tierId,
    organizationId: order.organizationId,
    quantity: order.quantity,
    status: STATUS[order.status],
    rejectionReason: order.rejectionReason,
    unitPrice: order.unitPrice,
    total: order.total,
    tickets: order.tickets.map((ticket) => ticketToProto(order, ticket)),
    showStartsAt: order.showStartsAt,
    placedAt: order.placedAt,
    updatedAt: order.updatedAt,
    version: order.version,
    idempotencyKey: order.idempotencyKey,
  };
}

export function figuresToProto(figures: Figures): SalesFigures {
  return {
    ticketsSold: figures.ticketsSold,
    ticketsCancelled: figures.ticketsCancelled,
    ticketsCheckedIn: figures.ticketsCheckedIn,
    ordersConfirmed: figures.ordersConfirmed,
    ordersCancelled: figures.ordersCancelled,
    revenue: Object.entries(figures.revenue)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([currency, r]) => ({
        gross: { amountMinor: r.gross, currency },
        refunded: { amountMinor: r.refunded, currency },
        net: { amountMinor: r.gross - r.refunded, currency },
      })),
  };
}

export function showSalesToProto(sales: ShowSales): ShowSalesMessage {
  return {
    showId: sales.showId,
    organizationId: sales.organizationId,
    totals: figuresToProto(sales.totals),
    tiers: sales.tiers.map((t) => ({ tierId: t.tierId, figures: figuresToProto(t.figures) })),
    days: sales.days.map((d) => ({ date: d.date, figures: figuresToProto(d.figures) })),
    updatedAt: sales.updatedAt,
  };
}

export function organizationSalesToProto(sales: OrganizationSales) {
  return {
    organizationId: sales.organizationId,
    totals: figuresToProto(sales.totals),
    days: sales.days.map((d) => ({ date: d.date, figures: figuresToProto(d.figures) })),
    shows: sales.shows.map(showSalesToProto),
  };
}

export function availabilityToProto(show: ShowAvailability): ShowAvailabilityMessage {
  return { showId: show.showId, tiers: show.tiers.map((t) => ({ ...t })), updatedAt: show.updatedAt };
}

export function progressToProto(progress: RebuildProgress): ProgressMessage {
  return {
    generation: progress.generation,
    phase: PHASE[progress.phase],
    done: progress.done,
    total: progress.total,
    ratePerSecond: progress.ratePerSecond,
    etaSeconds: progress.etaSeconds,
    startedAt: progress.startedAt,
    eventsApplied: progress.eventsApplied,
  };
}

export function statusToProto(status: ProjectionStatus): ProjectionStatusMessage {
  return {
    name: status.name,
    generation: status.generation,
    consumer: status.position.consumer,
    checkpoint: status.position.checkpoint,
    streamLastSequence: status.position.streamLast,
    pendingMessages: status.position.pending,
    lastEventAt: status.position.lastEventAt,
    lagSeconds: status.lagSeconds,
    eventsApplied: status.position.applied,
    rebuilding: status.rebuilding ? progressToProto(status.rebuilding) : undefined,
    lastRebuild: status.lastRebuild,
  };
}
