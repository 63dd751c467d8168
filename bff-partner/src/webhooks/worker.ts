import type { Logger } from "pino";
import { RefusedUrl, type WebhookAddressPolicy } from "./address-policy.js";
import { retryDelayMs, type RetryPolicy } from "./backoff.js";
import { send } from "./sender.js";
import { SIGNATURE_HEADER, signatureHeader } from "./signature.js";
import type { ClaimedDelivery, WebhookStore } from "./store.js";

export interface WorkerOptions {
  store: WebhookStore;
  addresses: WebhookAddressPolicy;
  retry: RetryPolicy;
  timeoutMs: number;
  /** Deliveries in flight in this instance. */
  concurrency: number;
  /** Deliveries in flight to one endpoint, across instances. */
  perEndpoint: number;
  pollMs: number;
  logger: Logger;
  now?: () => number;
}

/**
 * Sends due deliveries. Each attempt is leased in the database (claimDue), so any number of
 * instances share the work and a crashed one's deliveries are picked up when their lease runs
 * out. Deliveries run concurrently up to `concurrency`, at most `perEndpoint` to one endpoint,
 * each with a timeout: a slow or dead endpoint holds `perEndpoint` slots at most, so every
 * other endpoint keeps getting its events promptly. New deliveries (queued by this instance's
 * consumer, or a redelivery asked of it) and finished attempts wake the loop (wake()), and so
 * does the earliest retry it scheduled falling due; besides, it looks for due work every
 * `pollMs` (what another instance queued or left behind).
 */
export class DeliveryWorker {
  private running = false;
  private inFlight = 0;
  private wakeUp: (() => void) | undefined;
  /** When the earliest retry this instance scheduled falls due: it wakes up for it then. */
  private nextDue = Number.POSITIVE_INFINITY;
  private woken = false;
  private loop: Promise<void> | undefined;
  private readonly attempts = new Set<Promise<void>>();

  constructor(private readonly options: WorkerOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    await Promise.allSettled([...this.attempts]);
  }

  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let claimed: ClaimedDelivery[] = [];
      this.woken = false;
      if (this.nextDue <= Date.now()) this.nextDue = Number.POSITIVE_INFINITY;
      const free = this.options.concurrency - this.inFlight;
      if (free > 0) {
        try {
          claimed = await this.options.store.claimDue(free, this.options.perEndpoint, this.leaseMs());
          failures = 0;
        } catch (error) {
          if (failures++ === 0) this.options.logger.warn({ err: error }, "could not claim webhook deliveries");
        }
      }
      for (const delivery of claimed) this.startAttempt(delivery);
      // A full batch may mean more is due: look again at once.
      if (claimed.length > 0 && claimed.length === free) continue;
      const poll = failures > 0 ? Math.min(5_000, this.options.pollMs * 2 ** failures) : this.options.pollMs;
      if (!this.woken) await this.sleep(Math.max(0, Math.min(poll, this.nextDue - Date.now())));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  /** Long enough for the attempt's timeout and its bookkeeping; a crashed worker's lease ends. */
  private leaseMs(): number {
    return this.options.timeoutMs * 2 + 5_000;
  }

  private startAttempt(delivery: ClaimedDelivery): void {
    this.inFlight++;
    const attempt = this.attempt(delivery)
      .catch((error: unknown) =>
        this.options.logger.error({ err: error, deliveryId: delivery.id }, "webhook attempt could not be recorded"),
      )
      .finally(() => {
        this.inFlight--;
        this.attempts.delete(attempt);
        this.wake();
      });
    this.attempts.add(attempt);
  }

  private async attempt(delivery: ClaimedDelivery): Promise<void> {
    const { store, addresses, logger } = this.options;
    const started = Date.now();
    let outcome: { ok: boolean; status: number | null; error: string | null };
    try {
      // Checked again now (DNS may have changed since registration); the socket goes to this address.
      const checked = await addresses.check(delivery.url);
      const timestamp = Math.floor((this.options.now ?? Date.now)() / 1000);
      outcome = await send({
        url: checked.url,
        addresses: checked.addresses,
        body: delivery.body,
        timeoutMs: this.options.timeoutMs,
        headers: {
          [SIGNATURE_HEADER]: signatureHeader(delivery.secret, timestamp, delivery.body),
          "Marquee-Event-Id": delivery.eventId,
          "Marquee-Event-Type": delivery.eventType,
          "Marquee-Delivery-Id": delivery.id,
          "Marquee-Delivery-Attempt": String(delivery.attempt),
        },
      });
    } catch (error) {
      if (!(error instanceof RefusedUrl)) throw error;
      outcome = { ok: false, status: null, error: `refused: the URL ${error.message}` };
    }
    const log = {
      deliveryId: delivery.id,
      webhookId: delivery.webhookId,
      attempt: delivery.attempt,
      ms: Date.now() - started,
    };
    if (outcome.ok) {
      await store.recordSuccess(delivery, outcome.status ?? 200);
      logger.debug({ ...log, status: outcome.status }, "webhook delivered");
      return;
    }
    const retryInMs = retryDelayMs(delivery.failures + 1, this.options.retry);
    await store.recordFailure(delivery, { status: outcome.status, error: outcome.error ?? "failed" }, retryInMs);
    // Due by the database's clock once this much has passed since it was recorded (just now).
    if (retryInMs !== undefined) this.nextDue = Math.min(this.nextDue, Date.now() + retryInMs + 10);
    logger.info({ ...log, status: outcome.status, error: outcome.error, retryInMs }, "webhook attempt failed");
  }
}
