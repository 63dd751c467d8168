import type { JsonSchema, OpenApiDocument, Operation } from "./document.js";

const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

/** Inline CommonMark, the little the descriptions use: `code` and **strong**. */
const inline = (text: string): string =>
  escape(text)
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>");

/** Paragraphs and ## headings. */
function blocks(markdown: string): string {
  return markdown
    .split(/\n{2,}/)
    .map((block) => block.trim())
    .filter(Boolean)
    .map((block) => (block.startsWith("## ") ? `<h3>${inline(block.slice(3))}</h3>` : `<p>${inline(block)}</p>`))
    .join("\n");
}

const schemaName = (ref: string): string => ref.split("/").at(-1) ?? ref;
const anchor = (name: string): string => `schema-${name}`;

/** A schema's type as a reader wants it: `Money | null`, `array of Order`, `"a" | "b"`. */
function typeOf(schema: JsonSchema): string {
  if (typeof schema.$ref === "string") {
    const name = schemaName(schema.$ref);
    return `<a href="#${anchor(name)}">${escape(name)}</a>`;
  }
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as JsonSchema[]).map(typeOf).join(" | ");
  if (Array.isArray(schema.enum))
    return schema.enum.map((v) => `<code>${escape(JSON.stringify(v))}</code>`).join(" | ");
  if (schema.const !== undefined) return `<code>${escape(JSON.stringify(schema.const))}</code>`;
  if (schema.type === "array" && schema.items) return `array of ${typeOf(schema.items as JsonSchema)}`;
  const type = Array.isArray(schema.type) ? schema.type.join(" | ") : String(schema.type ?? "any");
  const format = typeof schema.format === "string" ? ` (${schema.format})` : "";
  return escape(type + format);
}

/** Rows for an object's properties; nested objects' properties follow as parent.child. */
function propertyRows(schema: JsonSchema, prefix = ""): string[] {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).flatMap(([name, property]) => {
    const row = `<tr><td><code>${escape(prefix + name)}</code></td><td>${typeOf(property)}</td><td>${
      required.has(name) ? "yes" : ""
    }</td><td>${inline(String(property.description ?? ""))}</td></tr>`;
    const nested = property.type === "object" ? property : (property.items as JsonSchema | undefined);
    return nested?.type === "object"
      ? [row, ...propertyRows(nested, `${prefix}${name}${nested === property ? "." : "[]."}`)]
      : [row];
  });
}

const table = (rows: string[], head: string[]): string =>
  rows.length === 0
    ? ""
    : `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table>`;

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: JsonSchema;
  $ref?: string;
}

function operationHtml(method: string, path: string, operation: Operation, document: OpenApiDocument): string {
  const parameters = (operation.parameters as Parameter[]).map((p) =>
    p.$ref ? ((document.components.parameters as Record<string, Parameter>)[schemaName(p.$ref)] ?? p) : p,
  );
  const parameterRows = parameters.map(
    (p) =>
      `<tr><td><code>${escape(p.name)}</code></td><td>${escape(p.in)}</td><td>${p.schema ? typeOf(p.schema) : ""}</td><td>${
        p.required ? "yes" : ""
      }</td><td>${inline(p.description ?? "")}</td></tr>`,
  );
  const body = operation.requestBody as { content: Record<string, { schema: JsonSchema }> } | undefined;
  const responseRows = Object.entries(operation.responses).map(([status, response]) => {
    const content = response.content as Record<string, { schema: JsonSchema }> | undefined;
    const schema = content ? Object.values(content)[0]?.schema : undefined;
    return `<tr><td>${escape(status)}</td><td>${schema ? typeOf(schema) : ""}</td><td>${inline(response.description)}</td></tr>`;
  });
  const auth = operation.security.length > 0 ? "API key" : "public";
  return `<section class="op" id="${escape(operation.operationId)}">
<h3><span class="method ${method}">${method.toUpperCase()}</span> <code>${escape(path)}</code> <small>${escape(auth)}</small></h3>
<p><strong>${inline(operation.summary)}</strong></p>
${operation.description ? blocks(operation.description) : ""}
${table(parameterRows, ["Parameter", "In", "Type", "Required", "Description"])}
${body ? `<p>Body: ${typeOf(Object.values(body.content)[0]?.schema ?? {})} (application/json)</p>` : ""}
${table(responseRows, ["Status", "Body", "When"])}
</section>`;
}

/**
 * The human-readable reference, rendered on the server from the OpenAPI document itself (no
 * script, nothing fetched from elsewhere): introduction, operations by tag, webhook events and
 * every schema as a property table.
 */
export function renderDocsPage(document: OpenApiDocument): string {
  const info = document.info as { title: string; version: string; summary: string; description: string };
  const tags = document.tags as { name: string; description: string }[];
  const operations = Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ path, method, operation })),
  );
  const sections = tags
    .map((tag) => {
      const own = operations.filter((o) => o.operation.tags.includes(tag.name));
      if (own.length === 0) return "";
      return `<h2 id="tag-${escape(tag.name)}">${escape(tag.name)}</h2><p>${inline(tag.description)}</p>${own
        .map((o) => operationHtml(o.method, o.path, o.operation, document))
        .join("\n")}`;
    })
    .join("\n");
  const events = Object.entries(
    document.webhooks as Record<string, { post: Operation & { requestBody: unknown } }>,
  ).map(([name, item]) => {
    const body = item.post.requestBody as { content: Record<string, { schema: JsonSchema }> };
    return `<tr><td><code>${escape(name)}</code></td><td>${typeOf(
      Object.values(body.content)[0]?.schema ?? {},
    )}</td><td>${inline(item.post.description ?? "")}</td></tr>`;
  });
  const schemas = Object.entries(document.components.schemas)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([name, schema]) =>
        `<section id="${anchor(name)}"><h3>${escape(name)}</h3>${schema.description ? `<p>${inline(String(schema.description))}</p>` : ""}${table(
          propertyRows(schema),
          ["Field", "Type", "Required", "Description"],
        )}</section>`,
    )
    .join("\n");
  const toc = operations
    .map(
      (o) =>
        `<li><a href="#${escape(o.operation.operationId)}"><span class="method ${o.method}">${o.method.toUpperCase()}</span> ${escape(o.path)}</a></li>`,
    )
    .join("");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(info.title)} ${escape(info.version)}</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1rem 2rem; color: #1b1b1b; }
code { font: 13px ui-monospace, monospace; background: #f3f3f3; padding: 0 .25em; border-radius: 3px; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { border-bottom: 1px solid #e3e3e3; text-align: left; padding: .3rem .5rem; vertical-align: top; }
.op { border-left: 3px solid #d0d7de; padding-left: 1rem; margin: 1.5rem 0; }
.method { font: bold 12px ui-monospace, monospace; padding: .1em .4em; border-radius: 3px; color: #fff; background: #6e7781; }
.method.get { background: #1f6feb; } .method.post { background: #1a7f37; } .method.delete { background: #cf222e; }
nav ul { columns: 2; list-style: none; padding: 0; } nav a { text-decoration: none; }
small { color: #6e7781; font-weight: normal; }
</style>
</head>
<body>
<h1>${escape(info.title)} <small>${escape(info.version)}</small></h1>
<p>${inline(info.summary)} The machine-readable document is at <a href="/v1/openapi.json"><code>/v1/openapi.json</code></a> (OpenAPI 3.1).</p>
<nav><ul>${toc}</ul></nav>
${blocks(info.description)}
${sections}
<h2 id="webhooks">Webhook events</h2>
${table(events, ["Type", "Body", "Meaning"])}
<h2 id="schemas">Schemas</h2>
${schemas}
</body>
</html>
`;
}
