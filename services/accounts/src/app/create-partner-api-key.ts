import { notFound } from "@marquee/platform";
import { issueKey, type IssuedKey } from "./create-partner-client.js";
import type { AccountsDeps } from "./ports.js";

/** Another key for the caller's partner client: old and new both work until the old is revoked. */
export async function createPartnerApiKey(
  deps: AccountsDeps,
  callerId: string,
  partnerClientId: string,
): Promise<IssuedKey> {
  const client = await deps.store.findPartnerClient(partnerClientId);
  if (client?.ownerUserId !== callerId) throw notFound("partner client");
  const { issued, secretHash } = issueKey(deps, partnerClientId);
  await deps.store.insertApiKey(issued.key, secretHash);
  return issued;
}
