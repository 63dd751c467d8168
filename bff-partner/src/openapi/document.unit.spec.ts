import { describe, it } from "mocha";
import assert from "node:assert/strict";
import type { Logger } from "pino";
import { partnerRoutes } from "../app.js";
import { partnerConfig } from "../config.js";
import type { PartnerDeps } from "../deps.js";
import { renderDocsPage } from "./docs-page.js";

const stubDeps = (): PartnerDeps =>
  ({ config: partnerConfig.parse({}), logger: {} as Logger, clients: {} }) as unknown as PartnerDeps;

/** Every `$ref` in the document, with where it was found. */
function refsOf(value: unknown, path = "#"): { ref: string; at: string }[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => refsOf(item, `${path}/${i}`));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    key === "$ref" && typeof inner === "string" ? [{ ref: inner, at: path }] : refsOf(inner, `${path}/${key}`),
  );
}

function resolve(document: unknown, ref: string): unknown {
  return ref
    .slice(2)
    .split("/")
    .map((segment) => segment.replaceAll("~1", "/").replaceAll("~0", "~"))
    .reduce<unknown>((node, segment) => (node as Record<string, unknown> | undefined)?.[segment], document);
}

describe("OpenAPI document", () => {
  const { routes, document } = partnerRoutes(stubDeps());

  it("describes every route, with its parameters, body and answers", () => {
    for (const route of routes) {
      const operation = document.paths[route.path]?.[route.method];
      assert.ok(operation, `${route.method} ${route.path} is missing`);
      assert.equal(operation.operationId, route.operationId);
      for (const status of Object.keys(route.responses))
        assert.ok(operation.responses[status], `${route.operationId} ${status}`);
      if (route.auth) assert.ok(operation.responses["401"] && operation.responses["429"]);
      if (route.method === "post") assert.ok(operation.responses["422"]);
    }
    const documented = Object.values(document.paths).flatMap((item) => Object.keys(item)).length;
    assert.equal(documented, routes.length);
  });

  it("is OpenAPI 3.1 whose every $ref resolves", () => {
    assert.equal(document.openapi, "3.1.0");
    for (const { ref, at } of refsOf(document)) assert.ok(resolve(document, ref), `${ref} at ${at}`);
  });

  it("keeps snake_case field names in every schema", () => {
    for (const [name, schema] of Object.entries(document.components.schemas)) {
      const fields = Object.keys((schema as { properties?: object }).properties ?? {});
      for (const field of fields) {
        if (name === "Problem" && field === "requestId") continue; // the platform's problem member
        assert.match(field, /^[a-z][a-z0-9_]*$/, `${name}.${field}`);
      }
    }
  });

  it("renders the docs page from it, with nothing loaded from elsewhere", () => {
    const html = renderDocsPage(document);
    for (const route of routes) assert.ok(html.includes(route.path), route.path);
    assert.doesNotMatch(html, /<script|src="http|href="http/);
  });
});
