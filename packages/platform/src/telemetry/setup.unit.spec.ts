import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../config.js";
import { telemetryConfig } from "./setup.js";

describe("telemetry configuration", () => {
  it("defaults: metrics port derived from the service's port, liveness 1 s over 10 s windows", () => {
    assert.deepEqual(parseConfig(telemetryConfig, {}), {
      LIVENESS_MAX_EVENT_LOOP_DELAY_MS: 1_000,
      LIVENESS_WINDOW_MS: 10_000,
    });
    assert.equal(parseConfig(telemetryConfig, { METRICS_PORT: "0" }).METRICS_PORT, 0);
    assert.equal(parseConfig(telemetryConfig, { METRICS_PORT: "9464" }).METRICS_PORT, 9464);
  });

  it("names every bad setting", () => {
    assert.throws(
      () =>
        parseConfig(telemetryConfig, {
          METRICS_PORT: "abc",
          LIVENESS_WINDOW_MS: "-1",
          OTEL_EXPORTER_OTLP_ENDPOINT: "grpc://collector:4317",
        }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.length === 3 &&
        error.problems.some((p) => p.startsWith("METRICS_PORT")) &&
        error.problems.some((p) => p.startsWith("LIVENESS_WINDOW_MS")) &&
        error.problems.some((p) => p.startsWith("OTEL_EXPORTER_OTLP_ENDPOINT: must be an http(s) URL")),
    );
  });
});
