import { setTimeout as delay } from "node:timers/promises";
import type { Logger } from "pino";
import { asDomainError } from "@marquee/platform";
import { isShownToClients } from "@marquee/platform/http";
import { withFreshDeadline } from "@marquee/platform/web/deadline";
import type { EventStream } from "@marquee/platform/web/sse";
import type { Order } from "@marquee/proto/marquee/orders/v1/orders_service";
import { orderView, SETTLED } from "../views/order.js";

export interface ProgressOptions {
  /** The longest the stream stays open. */
  maxMs: number;
  /** How often to read the order when the read model cannot say when it changed. */
  pollMs: number;
  keepAliveMs: number;
  logger: Logger;
}

/** Reads the order now, from orders (authoritative, with the tickets' QR payloads). */
export type OrderReader = () => Promise<Order>;

/** Resolves once the order has reached `version` (the query service's read model says so); rejects when it cannot tell. */
export type ChangeWaiter = (version: number) => Promise<void>;

/** Each read's own deadline: the stream outlives the request deadline the platform gave it. */
const READ_TIMEOUT_MS = 3_000;
/** The longest one wait for the next version lasts before the order is read anyway. */
const WAIT_MS = 2_000;

/**
 * Streams an order's progress: a `status` event (the order, with its tickets once confirmed)
 * whenever its status or version changes, starting with the state it is in; the stream ends after
 * a settled status (CONFIRMED, REJECTED, ...). Comment lines keep it alive while nothing changes.
 * Bounded: after `maxMs` a `timeout` event ends it (the browser may open it again).
 *
 * Between reads it waits for the next version with the query service's read-your-writes read
 * (GetMyOrder with min_version), so a change shows as soon as it is projected, without polling.
 * When the read model cannot tell (down, or no change within WAIT_MS) the order is read anyway,
 * at most every `pollMs`: progress never depends on the read side. A failed read is retried
 * at the next turn, unless it says the order or the session is gone (`problem` event, end).
 */
export async function streamOrderProgress(
  stream: EventStream,
  first: Order,
  read: OrderReader,
  changed: ChangeWaiter,
  options: ProgressOptions,
): Promise<void> {
  const keepAlive = setInterval(() => stream.comment("keep-alive"), options.keepAliveMs);
  const endAt = Date.now() + options.maxMs;
  try {
    let last = first;
    stream.send("status", orderView(first), first.version);
    while (!SETTLED.has(orderView(last).status)) {
      const left = endAt - Date.now();
      if (left <= 0) {
        stream.send("timeout", { orderId: first.orderId, status: orderView(last).status });
        return;
      }
      await nextVersion(changed, last.version + 1, Math.min(WAIT_MS, left), options.pollMs, stream.signal);
      if (stream.signal.aborted) return;
      const next = await readOnce(read, options.logger);
      if (next === "retry") continue;
      if ("problem" in next) {
        stream.send("problem", next.problem);
        return;
      }
      if (next.order.version !== last.version || next.order.status !== last.status) {
        last = next.order;
        stream.send("status", orderView(last), last.version);
      }
    }
  } catch (error) {
    if (!stream.signal.aborted) options.logger.warn({ err: error }, "order stream failed");
  } finally {
    clearInterval(keepAlive);
    stream.close();
  }
}

/** Waits until the read model holds `version`, or `waitMs`; if it fails sooner, until `pollMs` has passed. */
async function nextVersion(
  changed: ChangeWaiter,
  version: number,
  waitMs: number,
  pollMs: number,
  signal: AbortSignal,
): Promise<void> {
  const started = Date.now();
  try {
    await withFreshDeadline(waitMs, () => changed(version));
    return;
  } catch {
    // Behind (no new version within the wait), or the query service is not answering: read anyway.
  }
  const rest = Math.min(pollMs, waitMs) - (Date.now() - started);
  if (rest > 0) await delay(rest, undefined, { signal }).catch(() => undefined);
}

type ReadOutcome = { order: Order } | { problem: { status: string; detail: string } } | "retry";

async function readOnce(read: OrderReader, logger: Logger): Promise<ReadOutcome> {
  try {
    return { order: await withFreshDeadline(READ_TIMEOUT_MS, read) };
  } catch (error) {
    const domain = asDomainError(error);
    // Gone for good, in words the browser may read (a refused workload is not: retried and logged).
    if (
      domain &&
      isShownToClients(domain) &&
      ["not_found", "unauthenticated", "permission_denied"].includes(domain.kind)
    ) {
      return { problem: { status: domain.kind, detail: domain.message } };
    }
    logger.debug({ err: error }, "order read failed; trying again at the next turn");
    return "retry";
  }
}
