import { randomUUID } from "node:crypto";
import { runWithContext } from "@marquee/platform";
import type { ProjectionName, RebuildProgress } from "../domain/projections.js";
import type { ProjectionDeps } from "./ports.js";
import { rebuildProjection } from "./rebuild-projection.js";

/** A rebuild as its caller sees it: whether this call started it, and its progress. */
export interface RebuildRun {
  started: boolean;
  follow(signal: AbortSignal): AsyncGenerator<RebuildProgress>;
}

interface Job {
  latest: RebuildProgress | undefined;
  listeners: Set<(progress: RebuildProgress) => void>;
  finished: Promise<RebuildProgress>;
}

/**
 * Rebuilds run in the background, one per projection at a time: a caller that goes away does not
 * stop one, and a second caller follows the one already running.
 */
export class RebuildJobs {
  private readonly jobs = new Map<ProjectionName, Job>();
  private readonly abort = new AbortController();

  constructor(private readonly deps: ProjectionDeps) {}

  /**
   * The rebuild of `name`: the one running (`started` false), or a new one. Follow it for its
   * progress; it runs on whether anyone follows or not.
   */
  begin(name: ProjectionName): RebuildRun {
    const running = this.jobs.get(name);
    const job = running ?? this.start(name);
    return { started: !running, follow: (signal) => this.follow(job, signal) };
  }

  /** A job's progress as a stream that ends when the job does (or when `signal` aborts). */
  private async *follow(job: Job, signal: AbortSignal): AsyncGenerator<RebuildProgress> {
    const queue: RebuildProgress[] = job.latest ? [job.latest] : [];
    let wake: (() => void) | undefined;
    const listener = (progress: RebuildProgress) => {
      queue.push(progress);
      wake?.();
    };
    job.listeners.add(listener);
    let finished = false;
    let failure: unknown;
    void job.finished.then(
      () => (finished = true),
      (error: unknown) => {
        finished = true;
        failure = error;
      },
    );
    const onAbort = () => wake?.();
    signal.addEventListener("abort", onAbort);
    try {
      for (;;) {
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        if (finished) {
          if (failure) throw failure;
          return;
        }
        if (signal.aborted) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
          job.finished.then(
            () => resolve(),
            () => resolve(),
          );
        });
        wake = undefined;
      }
    } finally {
      job.listeners.delete(listener);
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** The latest progress of a rebuild running in this process. */
  progressOf(name: ProjectionName): RebuildProgress | undefined {
    return this.jobs.get(name)?.latest;
  }

  /** Stops every running rebuild (each drops its unfinished generation). */
  async stopAll(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled([...this.jobs.values()].map((job) => job.finished));
  }

  private start(name: ProjectionName): Job {
    const job: Job = { latest: undefined, listeners: new Set(), finished: Promise.resolve(undefined as never) };
    const report = (progress: RebuildProgress) => {
      job.latest = progress;
      for (const listener of job.listeners) listener(progress);
    };
    // Its own context: not the deadline or cancellation of the call that started it.
    job.finished = runWithContext({ requestId: `rebuild-${name}-${randomUUID()}` }, () =>
      rebuildProjection(this.deps, name, report, this.abort.signal),
    ).finally(() => this.jobs.delete(name));
    job.finished.catch(() => undefined);
    this.jobs.set(name, job);
    return job;
  }
}
