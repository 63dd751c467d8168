import type { OrderWatch } from "../../app/ports.js";

/**
 * Wakes GetMyOrder calls waiting for an order as soon as this process's projection applies one of
 * its events. Readers also poll (a projection in another process cannot wake them).
 */
export class InProcessOrderWatch implements OrderWatch {
  private readonly waiters = new Map<string, Set<() => void>>();

  changed(orderId: string): void {
    const waiting = this.waiters.get(orderId);
    if (!waiting) return;
    this.waiters.delete(orderId);
    for (const wake of waiting) wake();
  }

  next(orderId: string, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const waiting = this.waiters.get(orderId) ?? new Set<() => void>();
      this.waiters.set(orderId, waiting);
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        waiting.delete(done);
        if (waiting.size === 0 && this.waiters.get(orderId) === waiting) this.waiters.delete(orderId);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done);
      waiting.add(done);
    });
  }
}
