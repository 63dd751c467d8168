/**
 * Preloaded into a service (NODE_OPTIONS=--import=<this file's URL>; node refuses --cpu-prof in
 * NODE_OPTIONS) so a bench can profile exactly its measured window: the first SIGUSR2 starts the
 * V8 CPU profiler, the next one stops it and writes
 * $BENCH_CPU_PROFILE_DIR/<service>-<pid>-<n>.cpuprofile, and so on.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import path from "node:path";

const dir = process.env.BENCH_CPU_PROFILE_DIR;
if (dir) {
  const service = /services\/([\w-]+)\//.exec(process.argv[1] ?? "")?.[1] ?? "node";
  const session = new Session();
  session.connect();
  let running = false;
  let count = 0;
  process.on("SIGUSR2", () => {
    if (!running) {
      running = true;
      session.post("Profiler.enable", () =>
        session.post("Profiler.setSamplingInterval", { interval: 500 }, () => session.post("Profiler.start")),
      );
      return;
    }
    running = false;
    session.post("Profiler.stop", (error, result) => {
      if (error) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, `${service}-${process.pid}-${++count}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
