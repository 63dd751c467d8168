import type { Logger } from "pino";

type ShutdownStep = { name: string; run: () => Promise<void> | void };

/**
 * Ordered shutdown for a process: steps run in reverse order of registration (stop taking
 * calls first, close pools last), once, on SIGTERM/SIGINT or when asked.
 */
export class Lifecycle {
  private readonly steps: ShutdownStep[] = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  onShutdown(name: string, run: ShutdownStep["run"]): void {
    this.steps.push({ name, run });
  }

  shutdown(reason: string): Promise<void> {
    this.stopping ??= this.runSteps(reason);
    return this.stopping;
  }

  installSignalHandlers(): void {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      process.once(signal, () => {
        void this.shutdown(signal).then(() => process.exit(0));
      });
    }
  }

  private async runSteps(reason: string): Promise<void> {
    this.logger.info({ reason }, "shutting down");
    for (const step of [...this.steps].reverse()) {
      try {
        this.logger.debug({ step: step.name }, "stopping");
        await step.run();
      } catch (error) {
        this.logger.error({ err: error, step: step.name }, "shutdown step failed");
      }
    }
    this.logger.info("stopped");
  }
}
