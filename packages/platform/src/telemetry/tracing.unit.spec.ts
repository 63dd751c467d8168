import { describe, it, before, after, beforeEach } from "mocha";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { context as otelContext, ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { currentContext, runWithContext } from "../context.js";
import { newEvent } from "../events.js";
import { createLogger } from "../logger.js";
import {
  activeSpanContext,
  formatTraceparent,
  inSpan,
  parseTraceparent,
  setupTracing,
  SpanKind,
  startSpan,
  useTracerProviderForTests,
} from "./tracing.js";
import { OrderEvents } from "@marquee/proto/events";

const PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";

describe("tracing", () => {
  describe("W3C traceparent", () => {
    it("parses a valid header into a remote span context and formats it back", () => {
      const parsed = parseTraceparent(PARENT);
      assert.deepEqual(parsed, { traceId: TRACE_ID, spanId: "b7ad6b7169203331", traceFlags: 1, isRemote: true });
      assert.equal(formatTraceparent(parsed!), PARENT);
      assert.equal(
        formatTraceparent({ traceId: TRACE_ID, spanId: "b7ad6b7169203331", traceFlags: 0 }),
        PARENT.replace(/01$/, "00"),
      );
    });

    it("rejects malformed headers, invalid ids and the forbidden version", () => {
      for (const bad of [
        undefined,
        "",
        "garbage",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
      ]) {
        assert.equal(parseTraceparent(bad), undefined, String(bad));
      }
      // A future version may carry more fields; its first four are still read.
      assert.equal(parseTraceparent(`01${PARENT.slice(2)}-more`)?.traceId, TRACE_ID);
    });
  });

  describe("without an exporter (propagation only)", () => {
    it("gives each span a fresh span id in the parent's trace, keeping its sampling flag", () => {
      for (const flags of ["00", "01"]) {
        const span = startSpan("child", { parent: PARENT.replace(/01$/, flags) });
        const context = span.spanContext();
        assert.equal(context.traceId, TRACE_ID);
        assert.notEqual(context.spanId, "b7ad6b7169203331");
        assert.match(context.spanId, /^[\da-f]{16}$/);
        assert.equal(context.traceFlags, Number(flags));
        assert.equal(span.isRecording(), false);
      }
    });

    it("starts a new sampled trace without a (valid) parent", () => {
      const a = startSpan("root", { parent: ROOT_CONTEXT }).spanContext();
      const b = startSpan("root", { parent: "not-a-traceparent" }).spanContext();
      assert.match(a.traceId, /^[\da-f]{32}$/);
      assert.notEqual(a.traceId, b.traceId);
      assert.equal(a.traceFlags, 1);
    });

    it("makes the span current inside inSpan: nested spans, new events and log lines see it", async () => {
      const lines: Record<string, unknown>[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
          done();
        },
      });
      const logger = createLogger("test", "info", sink);
      await runWithContext({ requestId: "req-1", traceparent: PARENT }, async () => {
        await inSpan("outer", { parent: PARENT }, async (outer) => {
          assert.equal(currentContext()?.requestId, "req-1", "the request id is kept");
          assert.equal(currentContext()?.traceparent, formatTraceparent(outer));
          assert.equal(activeSpanContext()?.spanId, outer.spanContext().spanId);
          await inSpan("inner", {}, async (inner) => {
            assert.equal(inner.spanContext().traceId, TRACE_ID);
            const event = newEvent("t", OrderEvents.orderPlaced, "order-1", {
              orderId: "order-1",
              buyerId: "b",
              showId: "s",
              tierId: "t",
              quantity: 1,
              idempotencyKey: "k",
              attendeeNames: [],
              buyerKind: "user",
            } as never);
            assert.equal(event.traceparent, formatTraceparent(inner));
            logger.info("inside");
            assert.deepEqual(
              [lines.at(-1)?.requestId, lines.at(-1)?.traceId, lines.at(-1)?.spanId],
              ["req-1", TRACE_ID, inner.spanContext().spanId],
            );
          });
        });
      });
      logger.info("outside");
      assert.equal(lines.at(-1)?.traceId, undefined);
    });

    it("gives work outside any request a request context of its own", async () => {
      assert.equal(currentContext(), undefined);
      await inSpan("background", {}, async (span) => {
        assert.match(currentContext()?.requestId ?? "", /^[\da-f-]{36}$/);
        assert.equal(currentContext()?.traceparent, formatTraceparent(span));
      });
    });

    it("serves the OpenTelemetry context API from the request context once set up", async () => {
      setupTracing("test", undefined, {}); // no endpoint: no exporter, but the context manager
      await inSpan("outer", {}, async (outer) => {
        assert.equal(trace.getActiveSpan()?.spanContext().spanId, outer.spanContext().spanId);
        const other = startSpan("other", { parent: ROOT_CONTEXT });
        otelContext.with(trace.setSpan(otelContext.active(), other), () => {
          assert.equal(currentContext()?.traceparent, formatTraceparent(other));
          assert.equal(startSpan("child").spanContext().traceId, other.spanContext().traceId);
        });
        assert.equal(currentContext()?.traceparent, formatTraceparent(outer));
      });
    });
  });

  describe("with a recording tracer", () => {
    const exporter = new InMemorySpanExporter();
    let restore: () => void;
    before(() => {
      restore = useTracerProviderForTests(
        new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
      );
    });
    after(() => restore());
    beforeEach(() => exporter.reset());

    it("records parent links, kinds and errors", async () => {
      await assert.rejects(
        inSpan("outer", { parent: PARENT, kind: SpanKind.SERVER, attributes: { a: 1 } }, async () => {
          await inSpan("ok", {}, async () => undefined);
          throw new Error("boom");
        }),
        /boom/,
      );
      const [ok, outer] = exporter.getFinishedSpans();
      assert.equal(outer?.name, "outer");
      assert.equal(outer?.spanContext().traceId, TRACE_ID);
      assert.equal(outer?.parentSpanContext?.spanId, "b7ad6b7169203331");
      assert.equal(outer?.kind, SpanKind.SERVER);
      assert.equal(outer?.attributes.a, 1);
      assert.equal(outer?.status.code, 2);
      assert.equal(outer?.events[0]?.name, "exception");
      assert.equal(ok?.parentSpanContext?.spanId, outer?.spanContext().spanId);
      assert.equal(ok?.status.code, 0);
    });
  });
});
