import { setTimeout as delay } from "node:timers/promises";
import type { Logger } from "pino";
import { countRelayFailure } from "./telemetry/messaging.js";

export interface RelayTiming {
  /** How often to look for work when nobody calls wake() (default 1000 ms). */
  pollIntervalMs?: number;
  /** Longest wait between attempts while a dependency is down (default 10 000 ms). */
  maxBackoffMs?: number;
}

/**
 * The loop under each outbox relay: run a step, run it again at once while it reports more
 * work or wake() was called, otherwise wait for the poll interval. While steps fail, it backs
 * off exponentially and logs once per outage, not once per attempt.
 */
export class RelayLoop {
  private running = false;
  private loop: Promise<void> | undefined;
  private woken = false;
  private sleeping: AbortController | undefined;
  private backingOff = false;
  private failures = 0;

  constructor(
    private readonly name: string,
    /** Does one batch; resolves true when more work is already waiting. */
    private readonly step: () => Promise<boolean>,
    private readonly logger: Logger,
    private readonly timing: RelayTiming = {},
  ) {}

  get failing(): boolean {
    return this.failures > 0;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the batch in progress (if any) has finished. */
  async stop(): Promise<void> {
    this.running = false;
    this.sleeping?.abort();
    await this.loop;
  }

  /** Runs the next batch now; ignored while backing off, so a burst of wakes can't hammer a dead server. */
  wake(): void {
    this.woken = true;
    if (!this.backingOff) this.sleeping?.abort();
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.woken = false;
      let more = false;
      try {
        more = await this.step();
        this.succeeded();
      } catch (error) {
        this.failed(error);
      }
      if (!this.running) break;
      if (this.failures > 0) await this.sleep(this.backoffMs(), true);
      else if (!more && !this.woken) await this.sleep(this.timing.pollIntervalMs ?? 1_000, false);
    }
  }

  private succeeded(): void {
    if (this.failures > 0) this.logger.info({ relay: this.name, attempts: this.failures }, "relay recovered");
    this.failures = 0;
  }

  private failed(error: unknown): void {
    this.failures++;
    countRelayFailure(this.name);
    if (this.failures === 1) this.logger.warn({ relay: this.name, err: error }, "relay failing, backing off");
    else this.logger.debug({ relay: this.name, err: error, attempt: this.failures }, "relay still failing");
  }

  private backoffMs(): number {
    const exponential = 100 * 2 ** Math.min(this.failures - 1, 20);
    const capped = Math.min(this.timing.maxBackoffMs ?? 10_000, exponential);
    return capped / 2 + Math.random() * (capped / 2);
  }

  private async sleep(ms: number, backingOff: boolean): Promise<void> {
    this.sleeping = new AbortController();
    this.backingOff = backingOff;
    await delay(ms, undefined, { signal: this.sleeping.signal }).catch(() => undefined);
    this.backingOff = false;
    this.sleeping = undefined;
  }
}
