import { shardOf, wasApplied, withApplied } from "./applied.js";
import type { Money, Outcome, SourcedInventoryEvent } from "./events.js";

/**
 * An order's seats as inventory holds them, mirrored from its events: held → confirmed (sold) or
 * released; released → confirmed when a late confirmation re-takes the seats, or lost.
 */
export type HoldState = "held" | "confirmed" | "released" | "lost";

/** What one event did to a tier's counts. */
export interface SeatEffect {
  eventId: string;
  held: number;
  sold: number;
}

export interface HoldDoc {
  orderId: string;
  showId: string;
  tierId: string;
  quantity: number;
  state: HoldState;
  applied: string[];
  /**
   * The effects of the latest events: the counts live in another document (the show's shard),
   * written after this one, so a redelivery after a crash in between re-sends the same effect.
   */
  effects: SeatEffect[];
}

/** One shard of a show's seat counts (held, sold) per tier; see sales.ts for why shards. */
export interface AvailabilityShard {
  showId: string;
  shard: number;
  tiers: Record<string, { held: number; sold: number }>;
  updatedAt: Date;
  applied: string[];
}

/** Capacity and price per tier: StockChanged carries them whole, so the newest simply wins. */
export interface StockDoc {
  showId: string;
  tiers: Record<string, { capacity: number; price: Money | undefined; changedAt: Date }>;
  updatedAt: Date;
}

export const AVAILABILITY_SHARDS = 8;
export const AVAILABILITY_APPLIED_CAP = 512;
const HOLD_APPLIED_CAP = 64;
const HOLD_EFFECTS_KEPT = 8;

export const availabilityShardId = (showId: string, shard: number): string => `${showId}:${shard}`;
export const availabilityShardOf = (orderId: string): number => shardOf(orderId, AVAILABILITY_SHARDS);

/** The next hold, and what it does to the tier's counts. */
export function applySeatEvent(
  hold: HoldDoc | undefined,
  sourced: SourcedInventoryEvent,
): Outcome<HoldDoc> & { effect?: SeatEffect } {
  const { event, eventId } = sourced;
  if (event.type === "StockChanged") return { kind: "ignored" };
  if (hold && wasApplied(hold.applied, eventId)) {
    const effect = hold.effects.find((e) => e.eventId === eventId);
    return effect ? { kind: "duplicate", effect } : { kind: "duplicate" };
  }
  const move = (state: HoldState, held: number, sold: number, base: HoldDoc) => {
    const effect = { eventId, held, sold };
    const doc: HoldDoc = {
      ...base,
      state,
      applied: withApplied(base.applied, eventId, HOLD_APPLIED_CAP),
      effects: [...base.effects, effect].slice(-HOLD_EFFECTS_KEPT),
    };
    return { kind: "applied" as const, doc, effect };
  };
  switch (event.type) {
    case "SeatsReserved": {
      if (hold) return { kind: "ignored" }; // one hold per order
      const d = event.data;
      const fresh: HoldDoc = {
        orderId: d.orderId,
        showId: d.showId,
        tierId: d.tierId,
        quantity: d.quantity,
        state: "held",
        applied: [],
        effects: [],
      };
      return move("held", d.quantity, 0, fresh);
    }
    case "SeatsConfirmed":
      if (!hold) return { kind: "not_ready", reason: "SeatsConfirmed before SeatsReserved" };
      if (hold.state === "held") return move("confirmed", -hold.quantity, hold.quantity, hold);
      if (hold.state === "released") return move("confirmed", 0, hold.quantity, hold);
      return move(hold.state, 0, 0, hold);
    case "SeatsReleased":
      if (!hold) return { kind: "not_ready", reason: "SeatsReleased before SeatsReserved" };
      if (hold.state === "held") return move("released", -hold.quantity, 0, hold);
      if (hold.state === "confirmed") return move("released", 0, -hold.quantity, hold);
      return move(hold.state, 0, 0, hold);
    case "SeatsUnavailable":
      // A refused reservation has no hold; a released hold that could not be re-taken is lost.
      if (!hold) return { kind: "ignored" };
      return move(hold.state === "released" ? "lost" : hold.state, 0, 0, hold);
  }
}

/** Adds an effect to the show's shard, once. */
export function applySeatEffect(
  shard: AvailabilityShard | undefined,
  at: { showId: string; tierId: string; shard: number; occurredAt: Date },
  effect: SeatEffect,
): Outcome<AvailabilityShard> {
  if (effect.held === 0 && effect.sold === 0) return { kind: "ignored" };
  if (shard && wasApplied(shard.applied, effect.eventId)) return { kind: "duplicate" };
  const base: AvailabilityShard = shard ?? {
    showId: at.showId,
    shard: at.shard,
    tiers: {},
    updatedAt: at.occurredAt,
    applied: [],
  };
  const tiers = Object.fromEntries(Object.entries(base.tiers).map(([id, c]) => [id, { ...c }]));
  const counts = (tiers[at.tierId] ??= { held: 0, sold: 0 });
  counts.held += effect.held;
  counts.sold += effect.sold;
  return {
    kind: "applied",
    doc: {
      ...base,
      tiers,
      updatedAt: at.occurredAt > base.updatedAt ? at.occurredAt : base.updatedAt,
      applied: withApplied(base.applied, effect.eventId, AVAILABILITY_APPLIED_CAP),
    },
  };
}

/** A tier put on sale or changed: capacity and price as inventory now has them. */
export function applyStockChange(stock: StockDoc | undefined, sourced: SourcedInventoryEvent): Outcome<StockDoc> {
  const { event, occurredAt } = sourced;
  if (event.type !== "StockChanged") return { kind: "ignored" };
  const d = event.data;
  const current = stock?.tiers[d.tierId];
  // Whole values, newest wins: an older one redelivered late changes nothing.
  if (current && current.changedAt > occurredAt) return { kind: "duplicate" };
  const price = d.price ? { amountMinor: d.price.amountMinor, currency: d.price.currency } : undefined;
  const tiers = { ...stock?.tiers, [d.tierId]: { capacity: d.capacity, price, changedAt: occurredAt } };
  const updatedAt = stock && stock.updatedAt > occurredAt ? stock.updatedAt : occurredAt;
  return { kind: "applied", doc: { showId: d.showId, tiers, updatedAt } };
}

export interface TierAvailability {
  tierId: string;
  capacity: number;
  held: number;
  sold: number;
  available: number;
  price: Money | undefined;
}

export interface ShowAvailability {
  showId: string;
  tiers: TierAvailability[];
  updatedAt: Date;
}

/** A show's seats: capacity from its stock, held and sold added up over its shards. */
export function mergeAvailability(stock: StockDoc, shards: readonly AvailabilityShard[]): ShowAvailability {
  let updatedAt = stock.updatedAt;
  const counts = new Map<string, { held: number; sold: number }>();
  for (const shard of shards) {
    if (shard.updatedAt > updatedAt) updatedAt = shard.updatedAt;
    for (const [tierId, c] of Object.entries(shard.tiers)) {
      const sum = counts.get(tierId) ?? { held: 0, sold: 0 };
      counts.set(tierId, { held: sum.held + c.held, sold: sum.sold + c.sold });
    }
  }
  const tiers = Object.entries(stock.tiers)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([tierId, t]) => {
      const { held, sold } = counts.get(tierId) ?? { held: 0, sold: 0 };
      return {
        tierId,
        capacity: t.capacity,
        held,
        sold,
        available: Math.max(0, t.capacity - held - sold),
        price: t.price,
      };
    });
  return { showId: stock.showId, tiers, updatedAt };
}
