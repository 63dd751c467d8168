import type { Logger } from "@marquee/platform";

/** Runs a job every `intervalMs` (never overlapping itself) until stopped. */
export function every(intervalMs: number, job: () => Promise<unknown>, logger: Logger, name: string) {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    running ??= job()
      .catch((error: unknown) => logger.warn({ err: error, job: name }, "scheduled job failed"))
      .finally(() => (running = undefined));
  }, intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
