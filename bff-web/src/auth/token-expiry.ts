/**
 * When an access token that accounts just issued expires (its `exp` claim), so the session cookie
 * lasts exactly as long. Only read, not verified: the token came straight from accounts, and every
 * later request verifies it (sessions middleware).
 */
export function expiryOf(accessToken: string, fallback: Date): Date {
  const payload = accessToken.split(".")[1];
  if (!payload) return fallback;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { exp?: unknown };
    return typeof claims.exp === "number" ? new Date(claims.exp * 1000) : fallback;
  } catch {
    return fallback;
  }
}
