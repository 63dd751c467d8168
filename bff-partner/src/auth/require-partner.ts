import type { Context, Middleware } from "koa";
import { asDomainError, currentContext, runWithContext, unauthenticated } from "@marquee/platform";
import type { ApiKeyAuthenticator, Partner } from "./api-keys.js";

interface PartnerState {
  partner?: Partner;
}

const BEARER = /^Bearer[ ]+(\S+)[ ]*$/i;
const CHALLENGE = 'Bearer realm="marquee-partner"';

/**
 * `Authorization: Bearer <API key>`: the request acts for the key's partner client. From here on
 * every gRPC call made for it carries the partner token (request context), so orders and wallet
 * check ownership themselves. No key, a malformed one, an unknown or a revoked one: 401.
 */
export function requirePartner(authenticator: ApiKeyAuthenticator): Middleware {
  return async (ctx, next) => {
    const header = ctx.get("Authorization");
    if (!header) throw challenge(ctx, unauthenticated("an API key is required: Authorization: Bearer <API key>"));
    const apiKey = BEARER.exec(header)?.[1];
    if (!apiKey) throw challenge(ctx, unauthenticated("Authorization must be 'Bearer <API key>'"), "invalid_request");
    let partner: Partner;
    try {
      partner = await authenticator.authenticate(apiKey);
    } catch (error) {
      const domain = asDomainError(error);
      throw domain?.kind === "unauthenticated" ? challenge(ctx, domain, "invalid_token") : error;
    }
    (ctx.state as PartnerState).partner = partner;
    const context = currentContext();
    if (!context) return next();
    return runWithContext({ ...context, authorization: `Bearer ${partner.accessToken}` }, next);
  };
}

/** The partner of an authenticated request (requirePartner ran before). */
export function partnerOf(ctx: Context): Partner {
  const partner = (ctx.state as PartnerState).partner;
  if (!partner) throw unauthenticated();
  return partner;
}

function challenge<E extends Error>(ctx: Context, error: E, code?: string): E {
  ctx.set("WWW-Authenticate", code ? `${CHALLENGE}, error="${code}"` : CHALLENGE);
  return error;
}
