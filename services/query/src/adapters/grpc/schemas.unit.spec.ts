import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { validate, DomainError } from "@marquee/platform";
import { OrderStatus } from "@marquee/proto/marquee/query/v1/query_service";
import { schemas } from "./schemas.js";

const fieldsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof DomainError && error.kind === "invalid_argument");
    return error.violations.map((v) => v.field);
  }
  assert.fail("expected INVALID_ARGUMENT");
};

describe("query request schemas", () => {
  it("default the page size, read the status filter, refuse what is out of range", () => {
    const page = validate(schemas.listMyOrders, {
      pageSize: 0,
      pageToken: "",
      status: OrderStatus.ORDER_STATUS_CONFIRMED,
    });
    assert.deepEqual(page, { pageSize: 20, after: undefined, status: "confirmed" });
    assert.equal(validate(schemas.listMyOrders, { pageSize: 5, pageToken: "", status: 0 }).status, undefined);
    assert.deepEqual(
      fieldsOf(() => validate(schemas.listMyOrders, { pageSize: 101, pageToken: "nope", status: 42 })),
      ["page_size", "page_token", "status"],
    );
  });

  it("a rebuild needs a reason: blank or only spaces is refused, and it is kept trimmed", () => {
    for (const reason of ["", "   "]) {
      assert.deepEqual(
        fieldsOf(() => validate(schemas.rebuildProjection, { projection: "my-orders", reason })),
        ["reason"],
      );
    }
    assert.deepEqual(
      fieldsOf(() => validate(schemas.rebuildProjection, { projection: "my-orders", reason: "x".repeat(2_001) })),
      ["reason"],
    );
    assert.deepEqual(validate(schemas.rebuildProjection, { projection: "my-orders", reason: "  stale after #42 " }), {
      projection: "my-orders",
      reason: "stale after #42",
    });
  });

  it("name the projection and the show ids that are wrong", () => {
    assert.deepEqual(
      fieldsOf(() => validate(schemas.rebuildProjection, { projection: "everything", reason: "stale" })),
      ["projection"],
    );
    assert.equal(validate(schemas.getProjectionStatus, { projection: "" }).projection, undefined);
    assert.deepEqual(
      fieldsOf(() => validate(schemas.getShowAvailability, { showIds: [] })),
      ["show_ids"],
    );
    assert.deepEqual(
      fieldsOf(() => validate(schemas.getShowAvailability, { showIds: ["x"] })),
      ["show_ids.0"],
    );
    assert.deepEqual(
      fieldsOf(() => validate(schemas.getMyOrder, { orderId: "1", minVersion: -1 })),
      ["order_id", "min_version"],
    );
  });
});
