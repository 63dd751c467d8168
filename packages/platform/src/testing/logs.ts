import { Writable } from "node:stream";
import { pino, type Logger } from "pino";

export interface LogEntry {
  level: string;
  msg: string;
  [key: string]: unknown;
}

/** A logger that keeps every entry (debug and up), so tests can assert what was and was not logged. */
export function recordingLogger(): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      entries.push(JSON.parse(chunk.toString()) as LogEntry);
      done();
    },
  });
  const logger = pino({ level: "debug", formatters: { level: (label) => ({ level: label }) } }, sink);
  return { logger, entries };
}
