import { dayOf, shardOf, wasApplied, withApplied } from "./applied.js";
import type { Outcome, SourcedOrderEvent } from "./events.js";

/** Tickets and money of a set of sales, all currencies apart. */
export interface Figures {
  ticketsSold: number;
  ticketsCancelled: number;
  ticketsCheckedIn: number;
  ordersConfirmed: number;
  ordersCancelled: number;
  /** Minor units per ISO currency code. */
  revenue: Record<string, { gross: number; refunded: number }>;
}

/**
 * One shard of a show's sales. A show's counters are split over SALES_SHARDS documents by order
 * (all of an order's events land in the same shard), so that the last SALES_APPLIED_CAP event ids
 * each shard keeps recognise a redelivery even after thousands of other sales of the same show.
 */
export interface SalesShard {
  showId: string;
  organizationId: string;
  shard: number;
  totals: Figures;
  tiers: Record<string, Figures>;
  /** By UTC day (YYYY-MM-DD) of the sale, cancellation or check-in. */
  days: Record<string, Figures>;
  updatedAt: Date;
  applied: string[];
}

export const SALES_SHARDS = 8;
export const SALES_APPLIED_CAP = 512;

export const emptyFigures = (): Figures => ({
  ticketsSold: 0,
  ticketsCancelled: 0,
  ticketsCheckedIn: 0,
  ordersConfirmed: 0,
  ordersCancelled: 0,
  revenue: {},
});

export function salesShardId(showId: string, shard: number): string {
  return `${showId}:${shard}`;
}

/** The shard an event counts in, or undefined when the event does not change sales. */
export function salesShardOf(sourced: SourcedOrderEvent): { showId: string; shard: number } | undefined {
  const { event } = sourced;
  switch (event.type) {
    case "OrderConfirmed":
    case "OrderCancelled":
    case "TicketCheckedIn":
      return { showId: event.data.showId, shard: shardOf(event.data.orderId, SALES_SHARDS) };
    default:
      return undefined;
  }
}

type Change = (figures: Figures) => void;

function changeOf(sourced: SourcedOrderEvent): { tierId: string; organizationId: string; change: Change } | undefined {
  const { event } = sourced;
  switch (event.type) {
    case "OrderConfirmed": {
      const d = event.data;
      const currency = d.total?.currency ?? "";
      const amount = d.total?.amountMinor ?? 0;
      return {
        tierId: d.tierId,
        organizationId: d.organizationId,
        change: (f) => {
          f.ticketsSold += d.quantity;
          f.ordersConfirmed += 1;
          if (currency) addRevenue(f, currency, amount, 0);
        },
      };
    }
    case "OrderCancelled": {
      const d = event.data;
      const currency = d.refund?.currency ?? "";
      const amount = d.refund?.amountMinor ?? 0;
      return {
        tierId: d.tierId,
        organizationId: d.organizationId,
        change: (f) => {
          f.ticketsCancelled += d.quantity;
          f.ordersCancelled += 1;
          if (currency) addRevenue(f, currency, 0, amount);
        },
      };
    }
    case "TicketCheckedIn":
      return {
        tierId: event.data.tierId,
        organizationId: event.data.organizationId,
        change: (f) => {
          f.ticketsCheckedIn += 1;
        },
      };
    default:
      return undefined;
  }
}

function addRevenue(f: Figures, currency: string, gross: number, refunded: number): void {
  const current = f.revenue[currency] ?? { gross: 0, refunded: 0 };
  f.revenue[currency] = { gross: current.gross + gross, refunded: current.refunded + refunded };
}

const cloneFigures = (f: Figures): Figures => ({
  ...f,
  revenue: Object.fromEntries(Object.entries(f.revenue).map(([c, r]) => [c, { ...r }])),
});

const cloneRecord = (r: Record<string, Figures>): Record<string, Figures> =>
  Object.fromEntries(Object.entries(r).map(([k, f]) => [k, cloneFigures(f)]));

/** Counts a sale, cancellation or check-in into its show's shard, once. */
export function applySalesEvent(shard: SalesShard | undefined, sourced: SourcedOrderEvent): Outcome<SalesShard> {
  const target = salesShardOf(sourced);
  const change = changeOf(sourced);
  if (!target || !change) return { kind: "ignored" };
  if (shard && wasApplied(shard.applied, sourced.eventId)) return { kind: "duplicate" };
  const next: SalesShard = shard
    ? {
        ...shard,
        totals: cloneFigures(shard.totals),
        tiers: cloneRecord(shard.tiers),
        days: cloneRecord(shard.days),
      }
    : {
        showId: target.showId,
        organizationId: change.organizationId,
        shard: target.shard,
        totals: emptyFigures(),
        tiers: {},
        days: {},
        updatedAt: sourced.occurredAt,
        applied: [],
      };
  const day = dayOf(sourced.occurredAt);
  const tier = (next.tiers[change.tierId] ??= emptyFigures());
  const daily = (next.days[day] ??= emptyFigures());
  for (const figures of [next.totals, tier, daily]) change.change(figures);
  next.organizationId ||= change.organizationId;
  if (sourced.occurredAt > next.updatedAt) next.updatedAt = sourced.occurredAt;
  next.applied = withApplied(next.applied, sourced.eventId, SALES_APPLIED_CAP);
  return { kind: "applied", doc: next };
}

/** A show's sales: its shards added up. */
export interface ShowSales {
  showId: string;
  organizationId: string;
  totals: Figures;
  tiers: { tierId: string; figures: Figures }[];
  days: { date: string; figures: Figures }[];
  updatedAt: Date;
}

export function addFigures(into: Figures, more: Figures): Figures {
  into.ticketsSold += more.ticketsSold;
  into.ticketsCancelled += more.ticketsCancelled;
  into.ticketsCheckedIn += more.ticketsCheckedIn;
  into.ordersConfirmed += more.ordersConfirmed;
  into.ordersCancelled += more.ordersCancelled;
  for (const [currency, r] of Object.entries(more.revenue)) addRevenue(into, currency, r.gross, r.refunded);
  return into;
}

function addInto(target: Map<string, Figures>, source: Record<string, Figures>): void {
  for (const [key, figures] of Object.entries(source)) {
    target.set(key, addFigures(target.get(key) ?? emptyFigures(), figures));
  }
}

const sortedEntries = (m: Map<string, Figures>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** The shards of one show, merged (undefined when there are none: nothing sold yet). */
export function mergeShowSales(shards: readonly SalesShard[]): ShowSales | undefined {
  const first = shards[0];
  if (!first) return undefined;
  const totals = emptyFigures();
  const tiers = new Map<string, Figures>();
  const days = new Map<string, Figures>();
  let updatedAt = first.updatedAt;
  for (const shard of shards) {
    addFigures(totals, shard.totals);
    addInto(tiers, shard.tiers);
    addInto(days, shard.days);
    if (shard.updatedAt > updatedAt) updatedAt = shard.updatedAt;
  }
  return {
    showId: first.showId,
    organizationId: shards.find((s) => s.organizationId)?.organizationId ?? "",
    totals,
    tiers: sortedEntries(tiers).map(([tierId, figures]) => ({ tierId, figures })),
    days: sortedEntries(days).map(([date, figures]) => ({ date, figures })),
    updatedAt,
  };
}

/** An organization's shows added up: totals and one series of days. */
export function mergeOrganizationSales(shows: readonly ShowSales[]): {
  totals: Figures;
  days: { date: string; figures: Figures }[];
} {
  const totals = emptyFigures();
  const days = new Map<string, Figures>();
  for (const show of shows) {
    addFigures(totals, show.totals);
    for (const day of show.days) days.set(day.date, addFigures(days.get(day.date) ?? emptyFigures(), day.figures));
  }
  return { totals, days: sortedEntries(days).map(([date, figures]) => ({ date, figures })) };
}
