import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Middleware } from "koa";

/** The media types a page's files may have; a file of any other kind is not served. */
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/**
 * Serves a BFF's page: the files of `dir` (its public/ folder, flat), read once at start-up, by
 * name, and index.html at `/`, with ETag revalidation (no-cache) so a new deploy is picked up at
 * once. GET and HEAD only; everything else goes on to the API.
 */
export function staticPage(dir: string): Middleware {
  const assets = new Map<string, Asset>();
  for (const file of readdirSync(dir).sort()) {
    const type = TYPES[path.extname(file)];
    if (!type) continue;
    const body = readFileSync(path.join(dir, file));
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
    assets.set(`/${file}`, { body, type, etag });
  }
  const index = assets.get("/index.html");
  if (!index) throw new Error(`${dir} has no index.html`);
  assets.set("/", index);
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
