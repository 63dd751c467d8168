import { describe, it } from "mocha";
import assert from "node:assert/strict";
import type { Context } from "koa";
import { DomainError } from "@marquee/platform";
import { canonicalJson, fingerprintOf, idempotencyKeyOf } from "./key.js";

const withHeader = (value: string | undefined) => ({ get: () => value ?? "" }) as unknown as Context;

describe("Idempotency-Key", () => {
  it("accepts a token or a structured-field string", () => {
    assert.equal(idempotencyKeyOf(withHeader("abc-123")), "abc-123");
    assert.equal(
      idempotencyKeyOf(withHeader('"8e03978e-40d5-43e8-bc93-6894a57f9324"')),
      "8e03978e-40d5-43e8-bc93-6894a57f9324",
    );
  });

  it("refuses a missing, empty, too long or non-ASCII key, naming the header", () => {
    for (const value of [undefined, "", '""', "x".repeat(101), "héllo", "a b"]) {
      assert.throws(
        () => idempotencyKeyOf(withHeader(value)),
        (e: unknown) => e instanceof DomainError && e.violations[0]?.field === "Idempotency-Key",
        String(value),
      );
    }
  });

  it("fingerprints the request independently of key order", () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: null }] }), '{"a":[{"c":null,"d":2}],"b":1}');
    assert.equal(
      fingerprintOf("POST", "/v1/orders", { a: 1, b: 2 }),
      fingerprintOf("POST", "/v1/orders", { b: 2, a: 1 }),
    );
    assert.notEqual(fingerprintOf("POST", "/v1/orders", { a: 1 }), fingerprintOf("POST", "/v1/orders", { a: 2 }));
    assert.notEqual(fingerprintOf("POST", "/v1/orders", {}), fingerprintOf("POST", "/v1/webhooks", {}));
  });
});
