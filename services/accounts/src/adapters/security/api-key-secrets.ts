import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { ApiKeySecrets } from "../../app/ports.js";

/**
 * API key secrets are 256 random bits, so a fast hash (SHA-256) is enough at rest: unlike a
 * password there is nothing to guess. Verifying stays cheap on every partner request.
 */
export const apiKeySecrets: ApiKeySecrets = {
  generate: () => randomBytes(32).toString("base64url"),
  hash: (secret) => createHash("sha256").update(secret).digest(),
  matches: (secret, hash) => {
    const candidate = createHash("sha256").update(secret).digest();
    return candidate.length === hash.length && timingSafeEqual(candidate, hash);
  },
};
