import { describe, it } from "mocha";
import assert from "node:assert/strict";
import {
  defineCounter,
  FastCounter,
  FastHistogram,
  grpcClientRecorder,
  grpcServerRecorder,
  registry,
  sampledOnScrape,
  splitMethodPath,
  trackPgPool,
} from "./metrics.js";

/** The samples of one metric in the registry's text output, as "name{labels} value" lines. */
async function samples(name: string): Promise<string[]> {
  const text = await registry.metrics();
  return text.split("\n").filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

describe("metrics", () => {
  it("splits gRPC method paths", () => {
    assert.deepEqual(splitMethodPath("/marquee.orders.v1.OrdersService/PlaceOrder"), [
      "marquee.orders.v1.OrdersService",
      "PlaceOrder",
    ]);
  });

  it("records gRPC calls by method and code, with a latency histogram, in the Prometheus format", async () => {
    const record = grpcServerRecorder("/test.v1.Svc/Unit");
    record(0.0004, 0);
    record(0.02, 0);
    record(3, 5);
    assert.deepEqual(
      (await samples("grpc_server_handled_total")).filter((l) => l.includes('grpc_method="Unit"')).sort(),
      [
        'grpc_server_handled_total{grpc_service="test.v1.Svc",grpc_method="Unit",grpc_code="NOT_FOUND"} 1',
        'grpc_server_handled_total{grpc_service="test.v1.Svc",grpc_method="Unit",grpc_code="OK"} 2',
      ],
    );
    const buckets = (await samples("grpc_server_handling_seconds_bucket")).filter((l) => l.includes('"Unit"'));
    const count = (le: string) =>
      Number(
        buckets
          .find((l) => l.includes(`le="${le}"`))
          ?.split(" ")
          .at(-1) ?? Number.NaN,
      );
    assert.equal(count("0.001"), 1);
    assert.equal(count("0.025"), 2);
    assert.equal(count("2.5"), 2);
    assert.equal(count("5"), 3);
    assert.equal(count("+Inf"), 3);
    const sum = (await samples("grpc_server_handling_seconds_sum")).find((l) => l.includes('"Unit"'));
    assert.ok(Math.abs(Number(sum?.split(" ").at(-1)) - 3.0204) < 1e-9, sum);
    assert.ok((await samples("grpc_server_handling_seconds_count")).some((l) => l.includes('"Unit"') && / 3$/.test(l)));

    grpcClientRecorder("/test.v1.Svc/Unit")(0.01, 14);
    assert.ok((await samples("grpc_client_handled_total")).some((l) => l.includes('grpc_code="UNAVAILABLE"} 1')));
  });

  it("defines each metric once per process, whoever asks", () => {
    const config = { name: "marquee_test_once_total", help: "test", labelNames: ["x"] as const };
    assert.equal(defineCounter(config), defineCounter(config));
    assert.equal(
      FastCounter.define("marquee_test_fast_total", "t"),
      FastCounter.define("marquee_test_fast_total", "t"),
    );
    assert.equal(
      FastHistogram.define("marquee_test_fast_seconds", "t"),
      FastHistogram.define("marquee_test_fast_seconds", "t"),
    );
  });

  it("samples once per scrape however many gauges ask, and survives a failing sample", async () => {
    let runs = 0;
    const sample = sampledOnScrape("test", async () => {
      runs++;
    });
    await Promise.all([sample(), sample(), sample()]);
    assert.equal(runs, 1);
    await new Promise((resolve) => setImmediate(resolve));
    await sample();
    assert.equal(runs, 2);
    const failing = sampledOnScrape("test-failing", async () => {
      throw new Error("database down");
    });
    await failing(); // resolves: the gauges keep their last values
    assert.ok(
      (await samples("marquee_metrics_sample_failures_total")).some((l) => l.includes('source="test-failing"} 1')),
    );
  });

  it("reads pg pool usage on scrape, until the pool is untracked", async () => {
    const pool = { totalCount: 4, idleCount: 1, waitingCount: 2, options: { max: 8 } };
    const untrack = trackPgPool("unit", pool);
    assert.ok((await samples("marquee_pg_pool_connections")).includes('marquee_pg_pool_connections{pool="unit"} 4'));
    assert.ok(
      (await samples("marquee_pg_pool_waiting_clients")).includes('marquee_pg_pool_waiting_clients{pool="unit"} 2'),
    );
    assert.ok(
      (await samples("marquee_pg_pool_max_connections")).includes('marquee_pg_pool_max_connections{pool="unit"} 8'),
    );
    untrack();
    assert.deepEqual(await samples("marquee_pg_pool_connections"), []);
  });
});
