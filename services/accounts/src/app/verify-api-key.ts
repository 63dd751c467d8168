import { unauthenticated } from "@marquee/platform";
import { isActive, parseApiKey, type PartnerClient } from "../domain/partner.js";
import type { AccountsDeps } from "./ports.js";

export async function verifyApiKey(
  deps: AccountsDeps,
  apiKey: string,
): Promise<{ client: PartnerClient; keyId: string; accessToken: string; expiresAt: Date }> {
  const parsed = parseApiKey(apiKey);
  if (!parsed) throw unauthenticated("malformed API key");
  const found = await deps.store.findApiKey(parsed.keyId);
  if (!found || !deps.apiKeySecrets.matches(parsed.secret, found.secretHash) || !isActive(found.key)) {
    throw unauthenticated("unknown or revoked API key");
  }
  const { token, expiresAt } = await deps.tokens.issueForPartner(found.client.partnerClientId);
  return { client: found.client, keyId: found.key.keyId, accessToken: token, expiresAt };
}
