export interface PartnerClient {
  partnerClientId: string;
  name: string;
  ownerUserId: string;
  createdAt: Date;
}

export interface PartnerApiKey {
  keyId: string;
  partnerClientId: string;
  createdAt: Date;
  revokedAt: Date | undefined;
}

/**
 * An API key reads `mq_<key id>_<secret>`: the key id finds the stored hash in one indexed
 * lookup, the secret (256 random bits) is only ever stored hashed.
 */
const API_KEY = /^mq_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

export function formatApiKey(keyId: string, secret: string): string {
  return `mq_${keyId.replaceAll("-", "")}_${secret}`;
}

export function parseApiKey(apiKey: string): { keyId: string; secret: string } | undefined {
  const match = API_KEY.exec(apiKey);
  if (!match?.[1] || !match[2]) return undefined;
  const hex = match[1];
  const keyId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { keyId, secret: match[2] };
}

export function isActive(key: PartnerApiKey): boolean {
  return key.revokedAt === undefined;
}
