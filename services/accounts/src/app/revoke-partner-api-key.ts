import { notFound } from "@marquee/platform";
import type { PartnerApiKey } from "../domain/partner.js";
import type { AccountsDeps } from "./ports.js";

/** Takes effect at once: the next VerifyApiKey with this key is UNAUTHENTICATED. Idempotent. */
export async function revokePartnerApiKey(deps: AccountsDeps, callerId: string, keyId: string): Promise<PartnerApiKey> {
  const found = await deps.store.findApiKey(keyId);
  if (found?.client.ownerUserId !== callerId) throw notFound("API key");
  if (found.key.revokedAt) return found.key;
  const revoked = await deps.store.revokeApiKey(keyId, deps.clock.now());
  if (!revoked) throw notFound("API key");
  return revoked;
}
