import type { Context, Middleware } from "koa";
import { DomainError } from "@marquee/platform";
import { requireSession } from "@marquee/platform/web/session";

/** The reason of the 403 a signed-in user without the operator role gets, everywhere in the API. */
export const OPERATOR_REQUIRED = "OPERATOR_REQUIRED";

export const notAnOperator = (): DomainError =>
  new DomainError("permission_denied", "the operations console is for operators only", { reason: OPERATOR_REQUIRED });

/**
 * Every API request but signing in needs a session (401) of a user whose access token carries the
 * operator claim (403, OPERATOR_REQUIRED): checked before the CSRF token and any route, so a
 * buyer's session learns nothing else. The services check the claim again (access tables).
 */
export function operatorsOnly(startsSession: (ctx: Context) => boolean): Middleware {
  return async (ctx, next) => {
    if (!ctx.path.startsWith("/api/") || startsSession(ctx)) return next();
    if (!requireSession(ctx).principal.operator) throw notAnOperator();
    return next();
  };
}
