import type { Context, Middleware } from "koa";
import type { Logger } from "pino";
import type { AccountsServiceClient } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { keysFromAccounts, TokenVerifier } from "../auth.js";
import type { PromiseClient } from "../grpc-client.js";
import { SignInLimits, signInLimitSettings, type SignInLimitConfig } from "../sign-in-limits.js";
import type { BrowserSessionConfig } from "./config.js";
import { cookieNames, SessionCookies } from "./cookies.js";
import { csrfProtection, CsrfTokens, sameOriginWrites } from "./csrf.js";
import { SessionRefresher } from "./refresher.js";
import { contentSecurityPolicy } from "./security.js";
import { sessions } from "./session.js";
import { staticPage } from "./static.js";

/** What a browser session is made of, built once per process from its configuration. */
export interface BrowserSessionParts {
  cookies: SessionCookies;
  csrf: CsrfTokens;
  refresher: SessionRefresher;
  verifier: TokenVerifier;
  /** Brakes on signing in (and up), per client address and per account. */
  signInLimits: SignInLimits;
}

/**
 * A BFF's session parts. `cookiePrefix` names its cookies (cookies.ts: each BFF on a host needs
 * its own); `config` holds its browser session and sign-in limit settings.
 */
export function browserSessionParts(
  cookiePrefix: string,
  config: BrowserSessionConfig & SignInLimitConfig & { ACCOUNTS_ADDR: string },
  accounts: Pick<PromiseClient<AccountsServiceClient>, "refreshSession">,
  logger: Logger,
): BrowserSessionParts {
  if (!config.CSRF_SECRET) logger.warn("CSRF_SECRET is not set: CSRF tokens are valid on this instance only");
  return {
    cookies: new SessionCookies({ alwaysSecure: config.COOKIE_SECURE, names: cookieNames(cookiePrefix) }),
    csrf: new CsrfTokens(config.CSRF_SECRET),
    refresher: new SessionRefresher(accounts),
    verifier: new TokenVerifier(keysFromAccounts(config.ACCOUNTS_ADDR)),
    signInLimits: SignInLimits.create(signInLimitSettings(config), logger),
  };
}

export interface BrowserPageOptions {
  parts: BrowserSessionParts;
  logger: Logger;
  /** The page's files (the BFF's public/ folder). */
  publicDir: string;
  /** COOKIE_SECURE: the CSP upgrades insecure requests even when the request looks like plain http. */
  alwaysSecure: boolean;
  /** Other origins allowed to write (CORS_ORIGINS); the page's own always may. */
  allowedOrigins?: string[];
  /** Writes that start a session rather than use one: no session read, no CSRF token yet (Origin still checked). */
  startsSession: (ctx: Context) => boolean;
  /** Who may use the API with the session they have (bff-ops: operators only), checked before the CSRF token. */
  admit?: Middleware;
}

/**
 * The middleware of a BFF serving a browser page, in order (mounted after the platform's HTTP
 * defaults, before the API routes): the page's CSP, the page itself, the Origin check of writes,
 * the session (renewed when its access token expires), who it admits, and the CSRF check.
 */
export function browserPage(options: BrowserPageOptions): Middleware[] {
  const { parts, startsSession } = options;
  return [
    contentSecurityPolicy({ alwaysSecure: options.alwaysSecure }),
    staticPage(options.publicDir),
    sameOriginWrites(options.allowedOrigins ?? []),
    sessions({ ...parts, logger: options.logger, ignore: startsSession }),
    ...(options.admit ? [options.admit] : []),
    csrfProtection({ tokens: parts.csrf, cookies: parts.cookies, exempt: startsSession }),
  ];
}
