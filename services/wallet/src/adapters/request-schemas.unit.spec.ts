import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { DomainError, validate } from "@marquee/platform";
import { statementPageToken } from "./grpc/page-token.js";
import { schemas } from "./request-schemas.js";

const accountId = "6f1c1b1e-8a4c-4c8e-9d0a-2f6a3f1d2c3b";

function fieldsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof DomainError && error.kind === "invalid_argument");
    return error.violations.map((v) => v.field);
  }
  return assert.fail("expected INVALID_ARGUMENT");
}

describe("request schemas", () => {
  it("name each bad deposit field as the proto spells it", () => {
    const ok = { accountId, amount: { amountMinor: 100, currency: "EUR" }, idempotencyKey: "k" };
    assert.deepEqual(validate(schemas.deposit, ok), ok);
    assert.deepEqual(
      fieldsOf(() => validate(schemas.deposit, { ...ok, amount: undefined })),
      ["amount"],
    );
    assert.deepEqual(
      fieldsOf(() => validate(schemas.deposit, { ...ok, amount: { amountMinor: 0, currency: "EUR" } })),
      ["amount.amount_minor"],
    );
    assert.deepEqual(
      fieldsOf(() => validate(schemas.deposit, { ...ok, amount: { amountMinor: 10_000_001, currency: "EUR" } })),
      ["amount.amount_minor"],
    );
    assert.deepEqual(
      fieldsOf(() => validate(schemas.deposit, { ...ok, amount: { amountMinor: 1, currency: "eur" } })),
      ["amount.currency"],
    );
    assert.deepEqual(
      fieldsOf(() => validate(schemas.deposit, { ...ok, idempotencyKey: "k".repeat(101) })),
      ["idempotency_key"],
    );
    assert.deepEqual(
      fieldsOf(() => validate(schemas.deposit, { ...ok, accountId: "external:EUR" })),
      ["account_id"],
    );
  });

  it("accept a free order's charge of 0", () => {
    const free = { orderId: "o", accountId, amount: { amountMinor: 0, currency: "EUR" } };
    assert.deepEqual(validate(schemas.chargeForOrder, free), free);
    assert.deepEqual(
      fieldsOf(() => validate(schemas.chargeForOrder, { ...free, amount: { amountMinor: -1, currency: "EUR" } })),
      ["amount.amount_minor"],
    );
  });

  it("default the statement's page size and decode its token", () => {
    const cursor = { occurredAt: new Date(1_000), entryId: "7" };
    const query = validate(schemas.getStatement, {
      accountId,
      pageSize: 0,
      pageToken: statementPageToken.encode(cursor),
    });
    assert.deepEqual(query, { accountId, pageSize: 20, after: cursor });
    assert.deepEqual(
      fieldsOf(() => validate(schemas.getStatement, { accountId, pageSize: 101, pageToken: "" })),
      ["page_size"],
    );
    assert.deepEqual(
      fieldsOf(() => validate(schemas.getStatement, { accountId, pageSize: -1, pageToken: "" })),
      ["page_size"],
    );
    assert.deepEqual(
      fieldsOf(() => validate(schemas.getStatement, { accountId, pageSize: 5, pageToken: "nope" })),
      ["page_token"],
    );
  });
});
