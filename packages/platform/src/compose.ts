import type { Logger } from "pino";
import { asDomainError, DomainError } from "./errors.js";

export type Parts = Record<string, () => Promise<unknown>>;

export type Composed<P extends Parts> = { [K in keyof P]: Awaited<ReturnType<P[K]>> | null } & {
  /** Parts that failed or missed the deadline, so the page can say what is missing. */
  degraded: (keyof P & string)[];
};

/**
 * API composition: fetches every part in parallel under one deadline and merges the answers.
 * A part that fails or is slower than the deadline becomes null and is listed in `degraded`;
 * the composed answer never fails because of one part. Parts named in `required` do fail it
 * (e.g. the show itself on a show page: NOT_FOUND stays NOT_FOUND).
 */
export async function compose<P extends Parts>(
  parts: P,
  options: { deadlineMs: number; logger?: Logger; required?: (keyof P & string)[] },
): Promise<Composed<P>> {
  const names = Object.keys(parts) as (keyof P & string)[];
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), options.deadlineMs);
  });
  const settled = await Promise.all(
    names.map(async (name) => {
      const part = parts[name];
      if (!part) return { name, ok: false as const, error: new Error("missing part") };
      try {
        const value = await Promise.race([part(), deadline]);
        if (value === "late") {
          return { name, ok: false as const, error: new DomainError("deadline_exceeded", `${name} took too long`) };
        }
        return { name, ok: true as const, value };
      } catch (error) {
        return { name, ok: false as const, error };
      }
    }),
  );
  clearTimeout(timer);
  const result: Record<string, unknown> = {};
  const degraded: (keyof P & string)[] = [];
  for (const outcome of settled) {
    if (outcome.ok) {
      result[outcome.name] = outcome.value;
      continue;
    }
    if (options.required?.includes(outcome.name)) throw asDomainError(outcome.error) ?? outcome.error;
    options.logger?.warn({ part: outcome.name, err: outcome.error }, "composed part degraded");
    result[outcome.name] = null;
    degraded.push(outcome.name);
  }
  return { ...result, degraded } as Composed<P>;
}
