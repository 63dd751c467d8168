import assert from "node:assert/strict";
import Ajv2020Module from "ajv/dist/2020.js";

type Ajv = InstanceType<typeof Ajv2020Module.default>;
const Ajv2020 = ((Ajv2020Module as unknown as { default?: typeof Ajv2020Module.default }).default ??
  Ajv2020Module) as typeof Ajv2020Module.default;

interface Operation {
  security: unknown[];
  responses: Record<
    string,
    { content?: Record<string, { schema: { $ref?: string } }>; headers?: Record<string, unknown> }
  >;
}

interface Document {
  paths: Record<string, Record<string, Operation>>;
  components?: { headers?: Record<string, unknown> };
}

/**
 * Checks real answers against the API's own OpenAPI document (ajv, JSON Schema 2020-12): the
 * status is documented for the operation, the media type matches, the body validates against
 * the documented schema, and the documented headers are there. Every test's requests go
 * through it, so every answer the tests see is checked.
 */
export class Contract {
  private readonly ajv: Ajv;
  private readonly operations: { method: string; template: string; pattern: RegExp; operation: Operation }[] = [];
  /** Operations and statuses seen, so a test can tell what was covered. */
  readonly seen = new Set<string>();

  constructor(readonly document: Document) {
    // Formats are enforced by the patterns zod writes next to them (uuid, date-time).
    this.ajv = new Ajv2020({ strict: false, allErrors: true, formats: { uuid: true, "date-time": true } });
    this.ajv.addSchema(document as object, "openapi.json");
    for (const [template, item] of Object.entries(document.paths)) {
      const pattern = new RegExp(`^${template.replace(/\{\w+\}/g, "[^/]+")}$`);
      for (const [method, operation] of Object.entries(item)) {
        this.operations.push({ method: method.toUpperCase(), template, pattern, operation });
      }
    }
  }

  private headerSpec(spec: unknown): { required?: boolean } {
    const ref = (spec as { $ref?: string }).$ref;
    if (!ref) return spec as { required?: boolean };
    const name = ref.split("/").at(-1) ?? "";
    return (this.document.components?.headers?.[name] ?? {}) as { required?: boolean };
  }

  /** The documented operation a request goes to, if any. */
  operationOf(method: string, path: string): { template: string; operation: Operation } | undefined {
    return this.operations.find((o) => o.method === method && o.pattern.test(path));
  }

  check(method: string, path: string, status: number, headers: Headers, body: unknown): void {
    const found = this.operationOf(method, path);
    if (!found) return; // an undocumented path: the test checks it is a problem (404/405) itself
    const where = `${method} ${found.template} → ${status}`;
    this.seen.add(`${method} ${found.template} ${status}`);
    const response = found.operation.responses[String(status)];
    assert.ok(response, `${where} is not a documented answer`);
    assert.ok(headers.get("x-request-id"), `${where}: no X-Request-Id`);
    for (const [name, spec] of Object.entries(response.headers ?? {})) {
      if (this.headerSpec(spec).required !== true) continue;
      assert.ok(headers.get(name), `${where}: no ${name} header`);
    }
    if (!response.content) {
      assert.ok(body === undefined || body === "", `${where}: documented without a body but has one`);
      return;
    }
    const [mediaType, media] = Object.entries(response.content)[0] ?? [];
    const contentType = headers.get("content-type") ?? "";
    assert.ok(
      mediaType && contentType.startsWith(mediaType),
      `${where}: content-type ${contentType}, documented ${mediaType}`,
    );
    const ref = media?.schema.$ref;
    assert.ok(ref, `${where}: the documented schema is not a component`);
    const validate = this.ajv.getSchema(`openapi.json${ref}`) ?? this.ajv.compile({ $ref: `openapi.json${ref}` });
    if (!validate(body)) {
      assert.fail(
        `${where}: the body does not match ${ref}: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 2000)}`,
      );
    }
  }
}
