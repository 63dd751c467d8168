// The whole-system test harness: which processes exist and what each needs (process-table), a
// system of them on the run's own NATS, FerretDB and databases (system), the marketplace's
// actors driven through the public gRPC APIs (marketplace), the purchase invariants, and the
// tools whole-system tests use (processes, otlp-receiver, black-hole), and a browser-like HTTP
// client for the BFFs that serve a page (browser-client), and the processes' /metrics (metrics).
export * from "./process-table.js";
export * from "./system.js";
export * from "./marketplace.js";
export * from "./invariants.js";
export * from "./processes.js";
export * from "./otlp-receiver.js";
export * from "./black-hole.js";
export * from "./problem-leaks.js";
export * from "./browser-client.js";
export * from "./metrics.js";
