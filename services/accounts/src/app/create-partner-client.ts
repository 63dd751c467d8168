import { notFound } from "@marquee/platform";
import { formatApiKey, type PartnerApiKey, type PartnerClient } from "../domain/partner.js";
import type { AccountsDeps } from "./ports.js";

export interface IssuedKey {
  key: PartnerApiKey;
  /** The only time the secret is seen: the store keeps its hash. */
  apiKey: string;
}

export function issueKey(deps: AccountsDeps, partnerClientId: string): { issued: IssuedKey; secretHash: Buffer } {
  const key: PartnerApiKey = {
    keyId: deps.ids.newId(),
    partnerClientId,
    createdAt: deps.clock.now(),
    revokedAt: undefined,
  };
  const secret = deps.apiKeySecrets.generate();
  return {
    issued: { key, apiKey: formatApiKey(key.keyId, secret) },
    secretHash: deps.apiKeySecrets.hash(secret),
  };
}

export async function createPartnerClient(
  deps: AccountsDeps,
  callerId: string,
  name: string,
): Promise<{ client: PartnerClient } & IssuedKey> {
  if (!(await deps.store.findUser(callerId))) throw notFound("user");
  const client: PartnerClient = {
    partnerClientId: deps.ids.newId(),
    name: name.trim(),
    ownerUserId: callerId,
    createdAt: deps.clock.now(),
  };
  const { issued, secretHash } = issueKey(deps, client.partnerClientId);
  await deps.store.insertPartnerClient(client, issued.key, secretHash, [deps.events.partnerClientCreated(client)]);
  return { client, ...issued };
}
