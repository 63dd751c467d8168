import { HealthImplementation, type ServingStatus } from "grpc-health-check";
import type { Logger } from "pino";

/** A dependency the service cannot serve without (its database, NATS). */
export interface HealthCheck {
  name: string;
  check: () => Promise<void>;
}

/**
 * Keeps the gRPC health status in step with the dependencies: SERVING only while every
 * check passes. The overall status ("") and each service name share that status.
 */
export class HealthMonitor {
  readonly implementation = new HealthImplementation({ "": "NOT_SERVING" });
  private timer: NodeJS.Timeout | undefined;
  private status: ServingStatus = "NOT_SERVING";
  private readonly failing = new Set<string>();
  private draining = false;

  constructor(
    private readonly serviceNames: string[],
    private readonly checks: HealthCheck[],
    private readonly logger: Logger,
    private readonly timeoutMs = 1500,
  ) {}

  start(intervalMs: number): void {
    void this.checkNow();
    this.timer = setInterval(() => void this.checkNow(), intervalMs);
    this.timer.unref();
  }

  /** Marks the server as going away: NOT_SERVING from now on, whatever the checks say. */
  drain(): void {
    this.draining = true;
    if (this.timer) clearInterval(this.timer);
    this.apply("NOT_SERVING");
  }

  get serving(): boolean {
    return this.status === "SERVING";
  }

  /** For /readyz: ready exactly when the gRPC health status is SERVING, and what fails otherwise. */
  get readiness(): { ready: boolean; failing: string[] } {
    if (this.draining) return { ready: false, failing: ["shutting down"] };
    if (this.serving) return { ready: true, failing: [] };
    return { ready: false, failing: this.failing.size > 0 ? [...this.failing] : ["starting"] };
  }

  async checkNow(): Promise<boolean> {
    const results = await Promise.all(this.checks.map((c) => this.runCheck(c)));
    if (!this.draining) this.apply(results.every(Boolean) ? "SERVING" : "NOT_SERVING");
    return this.serving;
  }

  private async runCheck(check: HealthCheck): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      await Promise.race([check.check(), timeout]);
      if (this.failing.delete(check.name)) this.logger.info({ dependency: check.name }, "dependency recovered");
      return true;
    } catch (error) {
      if (!this.failing.has(check.name)) {
        this.failing.add(check.name);
        this.logger.warn({ dependency: check.name, err: error }, "dependency unhealthy");
      }
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  private apply(status: ServingStatus): void {
    if (status === this.status) return;
    this.status = status;
    this.implementation.setStatus("", status);
    for (const name of this.serviceNames) this.implementation.setStatus(name, status);
  }
}
