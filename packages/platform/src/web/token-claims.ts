/**
 * The claims of an access token accounts issued, read but not verified: for when it expires and
 * which session it belongs to, once it has been verified (sessions middleware) or when it came
 * straight from accounts.
 */
export function claimsOf(accessToken: string): { exp?: number; iat?: number; sid?: string } {
  const payload = accessToken.split(".")[1];
  if (!payload) return {};
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
    return {
      ...(typeof claims.exp === "number" ? { exp: claims.exp } : {}),
      ...(typeof claims.iat === "number" ? { iat: claims.iat } : {}),
      ...(typeof claims.sid === "string" ? { sid: claims.sid } : {}),
    };
  } catch {
    return {};
  }
}

/** When an access token expires (its `exp` claim), or `fallback` when it does not say. */
export function expiryOf(accessToken: string, fallback: Date): Date {
  const { exp } = claimsOf(accessToken);
  return exp === undefined ? fallback : new Date(exp * 1000);
}
