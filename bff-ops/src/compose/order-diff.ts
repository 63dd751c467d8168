import type { EventMarkView, LedgerView, OrderAsOf } from "../views/order.js";

type Change<T> = { from: T; to: T } | null;

/** What changed for an order between two moments; null where nothing did (or a side did not answer). */
export interface OrderDiff {
  from: string;
  to: string;
  status: Change<string | null>;
  /** Ledger entries booked after `from`, up to `to`; null when wallet did not answer for either moment. */
  ledgerEntriesAdded: LedgerView["entries"] | null;
  netCharged: Change<number | null>;
  seats: Change<{ state: string; quantity: number } | null>;
  /** The order's events after `from`, up to `to`. */
  events: EventMarkView[];
}

const changed = <T>(from: T, to: T): Change<T> => (JSON.stringify(from) === JSON.stringify(to) ? null : { from, to });

/** The difference between an order's two snapshots (`from` the earlier). Pure: the route fetches both. */
export function diffOrder(from: OrderAsOf, to: OrderAsOf): OrderDiff {
  const key = (entry: LedgerView["entries"][number]) => `${entry.transactionId}\0${entry.account}`;
  const before = new Set(from.ledger?.entries.map(key) ?? []);
  const fromTime = Date.parse(from.at);
  const toTime = Date.parse(to.at);
  const seatsOf = (snapshot: OrderAsOf) =>
    snapshot.seats ? { state: snapshot.seats.state, quantity: snapshot.seats.quantity } : null;
  const bothLedgers = from.ledger !== null && to.ledger !== null;
  const bothSeats = from.seats !== null && to.seats !== null;
  return {
    from: from.at,
    to: to.at,
    status: changed(from.order?.status ?? null, to.order?.status ?? null),
    ledgerEntriesAdded: bothLedgers ? (to.ledger?.entries ?? []).filter((entry) => !before.has(key(entry))) : null,
    netCharged: bothLedgers
      ? changed(from.ledger?.netCharged?.amountMinor ?? null, to.ledger?.netCharged?.amountMinor ?? null)
      : null,
    seats: bothSeats ? changed(seatsOf(from), seatsOf(to)) : null,
    events: to.events.filter((mark) => {
      const at = mark.at ? Date.parse(mark.at) : Number.NaN;
      return at > fromTime && at <= toTime;
    }),
  };
}
