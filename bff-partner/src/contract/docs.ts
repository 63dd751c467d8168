import { z } from "zod";
import { responseSchema } from "./registry.js";

export const openApiDocument = responseSchema(
  "OpenApiDocument",
  z
    .looseObject({
      openapi: z.literal("3.1.0"),
      info: z.looseObject({ title: z.string(), version: z.string() }),
      paths: z.record(z.string(), z.unknown()),
      components: z.record(z.string(), z.unknown()),
    })
    .describe("This API's OpenAPI 3.1 document."),
);

export const docsPage = responseSchema("DocsPage", z.string().describe("An HTML page."));
