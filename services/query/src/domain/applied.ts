/**
 * Idempotency without transactions (FerretDB has none): every document records the ids of the
 * events it has applied, in the same single-document write as the change. Redelivery of an event
 * (JetStream redelivers what was not acknowledged) or the overlap between a rebuild's history and
 * the live stream then changes nothing. Event ids rather than stream sequences, because they are
 * the same in the orders event store and on JetStream, and because they do not need the events of
 * a document to arrive in order (a failed event is redelivered after later ones succeeded).
 *
 * The list is a FIFO capped per document: an order's few dozen events always fit; a counter
 * document (a show's sales) keeps the last `cap`, enough for any redelivery (which comes within
 * the consumer's ack wait) as long as fewer than `cap` other events touched that document
 * meanwhile; counters are also split into shards to widen that window (see sales.ts).
 */
export function wasApplied(applied: readonly string[], eventId: string): boolean {
  return applied.includes(eventId);
}

export function withApplied(applied: readonly string[], eventId: string, cap: number): string[] {
  const next = [...applied, eventId];
  return next.length > cap ? next.slice(next.length - cap) : next;
}

/** A stable shard number for a key (FNV-1a 32-bit): the same order always lands in the same shard. */
export function shardOf(key: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shards;
}

/** The UTC calendar day of a moment, YYYY-MM-DD. */
export function dayOf(at: Date): string {
  return at.toISOString().slice(0, 10);
}
