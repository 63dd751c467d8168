import { createHash, randomBytes } from "node:crypto";
import type { SessionSecrets } from "../../app/ports.js";

/**
 * Refresh tokens are 256 random bits (base64url, 43 characters): nothing to guess, so SHA-256 is
 * enough at rest and a lookup by hash finds them. The database never sees a usable token.
 */
export const sessionSecrets: SessionSecrets = {
  generate: () => randomBytes(32).toString("base64url"),
  hash: (token) => createHash("sha256").update(token).digest(),
};
