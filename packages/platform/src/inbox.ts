import type pg from "pg";
import type { IncomingEvent } from "./events.js";
import { crashPoint } from "./faults.js";
import { withTransaction } from "./postgres.js";

class AlreadyProcessed extends Error {}

/**
 * Applies `effect` unless `consumer` has already processed `eventId`. The inbox row and the
 * effect commit in one transaction; a concurrent second delivery waits on the first one's
 * row and then finds it. Resolves false when the event had already been processed.
 */
export async function processOnce(
  pool: pg.Pool,
  consumer: string,
  eventId: string,
  effect: (client: pg.PoolClient) => Promise<void>,
): Promise<boolean> {
  try {
    return await withTransaction(pool, async (client) => {
      const { rowCount } = await client.query(
        "INSERT INTO inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        [consumer, eventId],
      );
      if (rowCount === 0) throw new AlreadyProcessed();
      await effect(client);
      return true;
    });
  } catch (error) {
    if (error instanceof AlreadyProcessed) return false;
    throw error;
  }
}

/** A consumer handler whose effect runs at most once per event, inside the inbox transaction. */
export function inboxHandler(
  pool: pg.Pool,
  consumer: string,
  fn: (event: IncomingEvent, client: pg.PoolClient) => Promise<void>,
): (event: IncomingEvent) => Promise<void> {
  return async (event) => {
    if (await processOnce(pool, consumer, event.eventId, (client) => fn(event, client)))
      crashPoint("inbox:after-effect");
  };
}
