/** An amount in the currency's minor unit (cents for EUR). */
export interface Money {
  amountMinor: number;
  currency: string;
}

/** Seats of one tier of one show. Invariant: held + sold ≤ capacity. */
export interface TierStock {
  showId: string;
  tierId: string;
  capacity: number;
  held: number;
  sold: number;
  /** The authoritative price: what a reservation charges, whatever the buyer saw. */
  price: Money;
}

/** What inventory keeps of a published show besides its tiers. */
export interface ShowOnSale {
  showId: string;
  organizationId: string;
  startsAt: Date;
  /** Catalog's version of the show; an event older than what was applied changes nothing. */
  version: number;
}

export interface PublishedTier {
  tierId: string;
  capacity: number;
  price: Money;
}

/** A published show as catalog describes it (ShowPublished / ShowUpdated). */
export interface PublishedShow extends ShowOnSale {
  tiers: PublishedTier[];
}

export interface TierChange {
  stock: TierStock;
  /** Position of the tier in the show, for listing tiers in catalog's order. */
  position: number;
  /** The capacity catalog asked for when it was below held + sold (stock.capacity was clamped). */
  requestedCapacity?: number;
}

export interface StockPlan {
  show: ShowOnSale;
  /** Only the tiers whose capacity or price changes, or that are new. */
  changes: TierChange[];
}

export const available = (stock: Pick<TierStock, "capacity" | "held" | "sold">): number =>
  stock.capacity - stock.held - stock.sold;

/** A capacity never goes below the seats already held or sold. */
export const clampCapacity = (requested: number, stock: Pick<TierStock, "held" | "sold">): number =>
  Math.max(requested, stock.held + stock.sold);

const samePrice = (a: Money, b: Money): boolean => a.amountMinor === b.amountMinor && a.currency === b.currency;

/**
 * What a published show changes in the stock: new tiers go on sale, capacities and prices follow
 * catalog (capacity clamped to held + sold). Tiers catalog no longer lists keep their stock: seats
 * may be held or sold on them. Undefined when `show` is not newer than what was already applied.
 */
export function planStock(
  current: { show?: ShowOnSale; tiers: TierStock[] },
  show: PublishedShow,
): StockPlan | undefined {
  if (current.show && show.version <= current.show.version) return undefined;
  const changes: TierChange[] = [];
  show.tiers.forEach((tier, position) => {
    const existing = current.tiers.find((stock) => stock.tierId === tier.tierId);
    if (!existing) {
      const stock = {
        showId: show.showId,
        tierId: tier.tierId,
        capacity: tier.capacity,
        held: 0,
        sold: 0,
        price: tier.price,
      };
      changes.push({ stock, position });
      return;
    }
    const capacity = clampCapacity(tier.capacity, existing);
    if (capacity === existing.capacity && samePrice(tier.price, existing.price)) return;
    const change: TierChange = { stock: { ...existing, capacity, price: tier.price }, position };
    if (capacity !== tier.capacity) change.requestedCapacity = tier.capacity;
    changes.push(change);
  });
  const { tiers: _tiers, ...onSale } = show;
  return { show: onSale, changes };
}

/** A change to a tier's held and sold counts. */
export interface StockDelta {
  showId: string;
  tierId: string;
  held: number;
  sold: number;
}

/** The seats a change gives back to the tier (0 when it takes seats or only moves held to sold). */
export const seatsFreed = (delta: Pick<StockDelta, "held" | "sold">): number => Math.max(0, -(delta.held + delta.sold));

/** A change that leaves `availableAfter` seats put a sold-out tier back on sale when it freed all of them. */
export const backOnSale = (delta: Pick<StockDelta, "held" | "sold">, availableAfter: number): boolean =>
  seatsFreed(delta) > 0 && availableAfter === seatsFreed(delta);

/**
 * One delta per tier, in (show, tier) order: applying them in this order everywhere means two
 * transactions never lock the same stock rows in opposite orders (no deadlock).
 */
export function sumDeltas(deltas: StockDelta[]): StockDelta[] {
  const byTier = new Map<string, StockDelta>();
  for (const delta of deltas) {
    const key = `${delta.showId}/${delta.tierId}`;
    const sum = byTier.get(key);
    if (sum) {
      sum.held += delta.held;
      sum.sold += delta.sold;
    } else byTier.set(key, { ...delta });
  }
  return [...byTier.values()].sort((a, b) => compare(a.showId, b.showId) || compare(a.tierId, b.tierId));
}

/** Code-unit order, as PostgreSQL orders these uuids (localeCompare may weigh "-" differently). */
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
