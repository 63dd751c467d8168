import { decodeJwt } from "jose";

/** The claim naming the session an access token belongs to (OpenID Connect's `sid`). */
export const SESSION_CLAIM = "sid";

/**
 * The session named by the `authorization: Bearer <token>` of a call the platform has already
 * verified (its access rule acts for a user): read, not verified again.
 */
export function sessionIdOf(authorization: string | undefined): string | undefined {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
  if (!token) return undefined;
  try {
    const sid = decodeJwt(token)[SESSION_CLAIM];
    return typeof sid === "string" ? sid : undefined;
  } catch {
    return undefined;
  }
}
