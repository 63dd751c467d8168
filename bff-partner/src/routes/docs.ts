import { docsPage, openApiDocument } from "../contract/docs.js";
import { route, type Route } from "../http/route.js";
import { renderDocsPage } from "../openapi/docs-page.js";
import type { OpenApiDocument } from "../openapi/document.js";

/** The API describes itself, without an API key: the OpenAPI document and a page rendering it. */
export function docsRoutes(document: () => OpenApiDocument): Route[] {
  let page: string | undefined;
  return [
    route({
      method: "get",
      path: "/v1/openapi.json",
      operationId: "getOpenApiDocument",
      tag: "Documentation",
      summary: "This API's OpenAPI 3.1 document",
      auth: false,
      responses: { 200: { description: "The document.", schema: openApiDocument } },
      handler: async () => ({
        status: 200,
        body: document(),
        headers: { "Cache-Control": "public, max-age=300" },
      }),
    }),
    route({
      method: "get",
      path: "/v1/docs",
      operationId: "getDocsPage",
      tag: "Documentation",
      summary: "This API's reference, as a web page",
      auth: false,
      responses: { 200: { description: "The page.", schema: docsPage, mediaType: "text/html" } },
      handler: async ({ ctx }) => {
        page ??= renderDocsPage(document());
        ctx.type = "text/html; charset=utf-8";
        return { status: 200, body: page, headers: { "Cache-Control": "public, max-age=300" } };
      },
    }),
  ];
}
