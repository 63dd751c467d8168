import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { retryDelayMs, retrySpanMs } from "./backoff.js";
import { signatureHeader, verifySignature } from "./signature.js";

describe("webhook signatures and retries", () => {
  const secret = "whsec_test";
  const body = '{"id":"1","type":"order.confirmed"}';

  it("sign HMAC-SHA256 over <t>.<body>", () => {
    const expected = createHmac("sha256", secret).update(`1700000000.${body}`).digest("hex");
    assert.equal(signatureHeader(secret, 1_700_000_000, body), `t=1700000000,v1=${expected}`);
  });

  it("verify within the 5-minute replay window only, and only the exact body", () => {
    const header = signatureHeader(secret, 1_700_000_000, body);
    assert.equal(verifySignature(header, secret, body, 1_700_000_000 + 299), true);
    assert.equal(verifySignature(header, secret, body, 1_700_000_000 + 301), false);
    assert.equal(verifySignature(header, secret, `${body} `, 1_700_000_000), false);
    assert.equal(verifySignature(header, "whsec_other", body, 1_700_000_000), false);
    assert.equal(verifySignature("t=x,v1=zz", secret, body, 1_700_000_000), false);
  });

  it("back off exponentially with jitter, capped, and give up after the last attempt", () => {
    const policy = { baseMs: 1_000, maxMs: 5_000, maxAttempts: 5 };
    assert.equal(
      retryDelayMs(1, policy, () => 0),
      500,
    );
    assert.equal(
      retryDelayMs(1, policy, () => 1),
      1_000,
    );
    assert.equal(
      retryDelayMs(3, policy, () => 1),
      4_000,
    );
    assert.equal(
      retryDelayMs(4, policy, () => 1),
      5_000,
    );
    assert.equal(
      retryDelayMs(5, policy, () => 1),
      undefined,
    );
    assert.equal(retrySpanMs(policy), 1_000 + 2_000 + 4_000 + 5_000);
  });
});
