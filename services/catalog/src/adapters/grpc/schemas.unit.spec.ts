import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { DomainError, validate } from "@marquee/platform";
import type { CreateShowRequest, TicketTier } from "@marquee/proto/marquee/catalog/v1/catalog_service";
import { schemas } from "./schemas.js";

const ORG = "7d9f6c1e-2b0a-4f3e-9c8d-1a2b3c4d5e6f";
const tier = (overrides: Partial<TicketTier> = {}): TicketTier => ({
  tierId: "",
  name: "Standing",
  price: { amountMinor: 2500, currency: "EUR" },
  capacity: 100,
  description: "",
  ...overrides,
});
const request = (overrides: Partial<CreateShowRequest> = {}): CreateShowRequest => ({
  organizationId: ORG,
  title: "Jazz Night",
  description: "",
  venue: { name: "Blue Note", city: "Berlin", address: "" },
  startsAt: new Date("2031-01-01T20:00:00Z"),
  tags: ["Jazz"],
  tiers: [tier()],
  ...overrides,
});

function fieldsOf(schema: Parameters<typeof validate>[0], input: unknown): string[] {
  try {
    validate(schema, input);
  } catch (error) {
    assert.ok(error instanceof DomainError && error.kind === "invalid_argument");
    return error.violations.map((v) => v.field);
  }
  return [];
}

describe("catalog request schemas", () => {
  it("accept a valid show, trimming text, lower-casing tags and leaving empty tier ids to the catalog", () => {
    const parsed = validate(schemas.createShow, request({ title: "  Jazz Night ", tags: [" Hip-Hop "] }));
    assert.equal(parsed.title, "Jazz Night");
    assert.deepEqual(parsed.tags, ["hip-hop"]);
    assert.equal(parsed.tiers[0]?.tierId, undefined);
  });

  const invalid: [string, Partial<CreateShowRequest>][] = [
    ["organization_id", { organizationId: "org-1" }],
    ["title", { title: "  " }],
    ["title", { title: "x".repeat(201) }],
    ["description", { description: "x".repeat(5001) }],
    ["venue", { venue: undefined }],
    ["venue.name", { venue: { name: "", city: "Berlin", address: "" } }],
    ["venue.city", { venue: { name: "Hall", city: "x".repeat(121), address: "" } }],
    ["venue.address", { venue: { name: "Hall", city: "Berlin", address: "x".repeat(301) } }],
    ["starts_at", { startsAt: undefined }],
    ["tags", { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }],
    ["tags.1", { tags: ["ok", "not ok"] }],
    ["tags.0", { tags: ["x".repeat(41)] }],
    ["tiers", { tiers: [] }],
    ["tiers", { tiers: Array.from({ length: 21 }, (_, i) => tier({ name: `T${i}` })) }],
    ["tiers.0.tier_id", { tiers: [tier({ tierId: "not-a-uuid" })] }],
    ["tiers.0.name", { tiers: [tier({ name: "" })] }],
    ["tiers.0.name", { tiers: [tier({ name: "x".repeat(81) })] }],
    ["tiers.1.name", { tiers: [tier(), tier({ name: "standing" })] }],
    ["tiers.0.price", { tiers: [tier({ price: undefined })] }],
    ["tiers.0.price.amount_minor", { tiers: [tier({ price: { amountMinor: -1, currency: "EUR" } })] }],
    ["tiers.0.price.amount_minor", { tiers: [tier({ price: { amountMinor: 100_000_001, currency: "EUR" } })] }],
    ["tiers.0.price.currency", { tiers: [tier({ price: { amountMinor: 1, currency: "eur" } })] }],
    ["tiers.1.price.currency", { tiers: [tier(), tier({ name: "B", price: { amountMinor: 1, currency: "USD" } })] }],
    ["tiers.0.capacity", { tiers: [tier({ capacity: 0 })] }],
    ["tiers.0.capacity", { tiers: [tier({ capacity: 100_001 })] }],
    ["tiers.0.description", { tiers: [tier({ description: "x".repeat(1001) })] }],
  ];
  for (const [field, overrides] of invalid) {
    it(`name ${field} when it is wrong (${JSON.stringify(overrides).slice(0, 60)})`, () => {
      assert.deepEqual(fieldsOf(schemas.createShow, request(overrides)), [field]);
    });
  }

  it("reject a tier id given twice", () => {
    const tierId = "0b6f7c3a-55e1-4d7b-8f4e-2a9c1d3e5f70";
    const input = request({ tiers: [tier({ tierId }), tier({ tierId, name: "B" })] });
    assert.deepEqual(fieldsOf(schemas.createShow, input), ["tiers.1.tier_id"]);
  });

  describe("updateShow", () => {
    const update = { showId: ORG, expectedVersion: 0, tags: [], replaceTags: false, tiers: [], replaceTiers: false };

    it("leave lists alone unless given or flagged for replacement", () => {
      assert.deepEqual(validate(schemas.updateShow, update).changes, { tags: undefined, tiers: undefined });
      const cleared = validate(schemas.updateShow, { ...update, replaceTags: true, replaceTiers: true });
      assert.deepEqual([cleared.changes.tags, cleared.changes.tiers], [[], []]);
      const given = validate(schemas.updateShow, { ...update, tags: ["rock"] });
      assert.deepEqual(given.changes.tags, ["rock"]);
    });

    it("name the fields that are wrong", () => {
      assert.deepEqual(fieldsOf(schemas.updateShow, { ...update, showId: "x", expectedVersion: -1, title: "" }), [
        "show_id",
        "expected_version",
        "title",
      ]);
    });
  });

  describe("listShows", () => {
    const list = { text: "", tag: "", organizationId: "", pageSize: 0, pageToken: "" };

    it("default the page size to 20 and leave empty filters out", () => {
      assert.deepEqual(validate(schemas.listShows, list), {
        text: "",
        tag: undefined,
        organizationId: undefined,
        pageSize: 20,
        after: undefined,
      });
    });

    for (const [field, overrides] of [
      ["page_size", { pageSize: 101 }],
      ["page_size", { pageSize: -1 }],
      ["page_token", { pageToken: "not a token" }],
      ["tag", { tag: "two words" }],
      ["organization_id", { organizationId: "acme" }],
      ["text", { text: "x".repeat(201) }],
      ["starts_before", { startsAfter: new Date(2), startsBefore: new Date(1) }],
    ] as const) {
      it(`name ${field} when it is wrong`, () => {
        assert.deepEqual(fieldsOf(schemas.listShows, { ...list, ...overrides }), [field]);
      });
    }
  });
});
