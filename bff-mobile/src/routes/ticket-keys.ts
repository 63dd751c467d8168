import Router from "@koa/router";
import type { MobileDeps } from "../deps.js";

/**
 * GET /v1/ticket-keys: the public keys (a JWK Set, RFC 7517) that verify tickets' `qr` payloads
 * offline, e.g. on a door scanner without network. Public, cacheable (max-age), with an ETag.
 * Old keys stay in the set long after rotation, so a ticket bought months ago still verifies.
 */
export function ticketKeyRoutes(deps: MobileDeps): Router {
  const router = new Router();
  router.get("/v1/ticket-keys", async (ctx) => {
    const { jwks } = await deps.clients.orders.getTicketKeys({});
    ctx.set("Cache-Control", `public, max-age=${deps.config.TICKET_KEYS_MAX_AGE_SECONDS}`);
    ctx.body = { keys: jwks.map((jwk) => JSON.parse(jwk) as Record<string, unknown>) };
  });
  return router;
}
