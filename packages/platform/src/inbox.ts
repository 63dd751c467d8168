import type pg from "pg";
import type { IncomingEvent } from "./events.js";
import { crashPoint } from "./faults.js";
import { withTransaction } from "./postgres.js";
import type { WriteStatement } from "./write-statement.js";

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

/**
 * The inbox row as the first write of a WriteStatement: the returned condition holds when the
 * event is new to `consumer`; the use case's other writes carry it, so a redelivery writes nothing.
 * A concurrent second delivery waits on the first one's row and then finds it.
 */
export function recordInInbox(statement: WriteStatement, consumer: string, eventId: string): string {
  statement.with(
    "inbox_row",
    `INSERT INTO inbox (consumer, event_id)
     VALUES (${statement.param(consumer, "text")}, ${statement.param(eventId, "uuid")})
     ON CONFLICT DO NOTHING RETURNING 1`,
  );
  return "EXISTS (SELECT 1 FROM inbox_row)";
}

/**
 * The inbox of a WriteStatement whose effect may not happen (a conditional UPDATE that matches
 * nothing because what it was decided on moved): the effect's writes carry `isNew` (the event is
 * new to `consumer`), and `recordIf(effected)` adds the inbox row as the statement's last write,
 * only when the effect happened, so a handler that lost a race decides again instead of finding
 * its event processed. Two deliveries at once both see the event as new; the second one's inbox
 * row then fails on the unique key and its whole statement (effect included) rolls back.
 */
export function inboxOfConditionalWrite(
  statement: WriteStatement,
  consumer: string,
  eventId: string,
): { isNew: string; recordIf: (effected: string) => void } {
  const key = `${statement.param(consumer, "text")}, ${statement.param(eventId, "uuid")}`;
  return {
    isNew: `NOT EXISTS (SELECT 1 FROM inbox WHERE (consumer, event_id) = (${key}))`,
    recordIf: (effected) => {
      statement.with("inbox_row", `INSERT INTO inbox (consumer, event_id) SELECT ${key} WHERE ${effected}`);
    },
  };
}

/** The consumer and event a handler's write is made for (see recordInInbox). */
export interface InboxGuard {
  consumer: string;
  eventId: string;
}

/**
 * A consumer handler whose effect is ONE write statement carrying the event's inbox row
 * (recordInInbox): no transaction is held while the handler reads and decides, and a redelivery
 * writes nothing. The handler must make at most one write per event.
 */
export function inboxGuardedHandler(
  consumer: string,
  fn: (event: IncomingEvent, guard: InboxGuard) => Promise<void>,
): (event: IncomingEvent) => Promise<void> {
  return async (event) => {
    await fn(event, { consumer, eventId: event.eventId });
    crashPoint("inbox:after-effect");
  };
}
