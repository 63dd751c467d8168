import type { ServiceProcess } from "@marquee/platform/testing/service-process";
import { logLines } from "./processes.js";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text format → samples. */
export function parseMetrics(text: string): Sample[] {
  return text
    .split("\n")
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample: ${line}`);
      const labels = Object.fromEntries(
        [...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1] ?? "", m[2] ?? ""]),
      );
      return { name: match[1] ?? "", labels, value: Number(match[3]) };
    });
}

/** The port a process's metrics server listens on, from the "metrics server listening" line of its last start. */
export function metricsPortOf(process: ServiceProcess): number {
  const line = logLines(process.output())
    .filter((entry) => typeof entry.metricsPort === "number")
    .at(-1);
  if (!line) throw new Error(`${process.name} logged no metrics port:\n${process.output().slice(-2000)}`);
  return line.metricsPort as number;
}

/** GET `path` (/metrics, /livez, /readyz) on a process's metrics server. */
export async function operationsGet(process: ServiceProcess, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${metricsPortOf(process)}${path}`);
  return { status: response.status, body: await response.text() };
}

/** Sum of the samples of `name` on a process's /metrics whose labels include `labels`. */
export async function metricSum(
  process: ServiceProcess,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const { status, body } = await operationsGet(process, "/metrics");
  if (status !== 200) throw new Error(`${process.name}: GET /metrics answered ${status}`);
  return parseMetrics(body)
    .filter((sample) => sample.name === name && Object.entries(labels).every(([k, v]) => sample.labels[k] === v))
    .reduce((sum, sample) => sum + sample.value, 0);
}
