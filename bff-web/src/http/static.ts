import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Middleware } from "koa";

/** The page's files (bff-web/public), by URL path, with their content types. */
const FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/index.html": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/styles.css": { file: "styles.css", type: "text/css; charset=utf-8" },
};

/** bff-web/public, from dist/src/http/ (compiled) — the only place this module runs from. */
export const PUBLIC_DIR = fileURLToPath(new URL("../../../public/", import.meta.url));

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/**
 * Serves the page: a few small files read once at start-up, with ETag revalidation (no-cache) so
 * a new deploy is picked up at once. GET and HEAD only; everything else goes on to the API.
 */
export function staticPage(dir = PUBLIC_DIR): Middleware {
  const assets = new Map<string, Asset>();
  for (const [urlPath, { file, type }] of Object.entries(FILES)) {
    const body = readFileSync(path.join(dir, file));
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
    assets.set(urlPath, { body, type, etag });
  }
  return async (ctx, next) => {
    const asset = ctx.method === "GET" || ctx.method === "HEAD" ? assets.get(ctx.path) : undefined;
    if (!asset) return next();
    ctx.set("Cache-Control", "no-cache");
    ctx.set("ETag", asset.etag);
    if (ctx.get("If-None-Match") === asset.etag) {
      ctx.status = 304;
      return;
    }
    ctx.type = asset.type;
    ctx.body = asset.body;
  };
}
