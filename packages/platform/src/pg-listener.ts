import { setTimeout as delay } from "node:timers/promises";
import pg from "pg";
import type { Logger } from "pino";

export interface PgListener {
  close(): Promise<void>;
}

/**
 * LISTENs on a channel over a dedicated connection (pooled ones can't hold a LISTEN) and
 * reconnects when it drops. `onNotify` also fires after each (re)connect, since notifications
 * sent while disconnected are lost.
 */
export function listenPostgres(
  config: pg.ClientConfig,
  channel: string,
  onNotify: () => void,
  logger: Logger,
): PgListener {
  let open = true;
  let client: pg.Client | undefined;
  const stopped = new AbortController();

  const session = async (): Promise<void> => {
    const current = new pg.Client(config);
    client = current;
    const ended = new Promise<void>((resolve) => {
      current.once("end", resolve);
      current.on("error", () => resolve());
    });
    current.on("notification", onNotify);
    try {
      await current.connect();
      await current.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      onNotify();
      await ended;
    } finally {
      current.removeAllListeners("notification");
      await current.end().catch(() => undefined);
    }
  };

  const loop = (async () => {
    let failures = 0;
    while (open) {
      const started = Date.now();
      await session().catch((error: unknown) => {
        if (failures === 0) logger.warn({ err: error, channel }, "LISTEN connection failed, retrying");
      });
      if (!open) break;
      failures = Date.now() - started > 5_000 ? 0 : failures + 1;
      await delay(Math.min(5_000, 100 * 2 ** failures), undefined, { signal: stopped.signal }).catch(() => undefined);
    }
  })();

  return {
    close: async () => {
      open = false;
      stopped.abort();
      await client?.end().catch(() => undefined);
      await loop;
    },
  };
}
