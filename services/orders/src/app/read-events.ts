import type { LoggedEvent, OrderEventLog } from "./ports.js";

/** Events per read of the log; the next page is read while the current one is sent. */
const PAGE = 5_000;

/**
 * Every order's events after `afterPosition` (at most `limit`, 0: all) up to the log's end when
 * the read started, in commit order, page by page, with that end (progress: position / end).
 */
export async function* readEventLog(
  log: OrderEventLog,
  request: { afterPosition: number; limit: number },
  signal: AbortSignal,
): AsyncGenerator<{ events: LoggedEvent[]; endPosition: number }> {
  const { afterPosition, limit } = request;
  const endPosition = await log.lastPosition();
  const pageAfter = (position: number, sent: number) =>
    position < endPosition && (limit === 0 || sent < limit)
      ? log.readAll(position, limit === 0 ? PAGE : Math.min(PAGE, limit - sent))
      : undefined;
  let sent = 0;
  let next = pageAfter(afterPosition, sent);
  try {
    while (next && !signal.aborted) {
      const events = await next;
      const last = events.at(-1);
      if (!last) return;
      sent += events.length;
      next = pageAfter(last.position, sent);
      yield { events, endPosition };
    }
  } finally {
    // The page read ahead for a caller that went away: its failure is nobody's business.
    next?.catch(() => undefined);
  }
}
