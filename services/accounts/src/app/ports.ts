import type { OutgoingEvent } from "@marquee/platform";
import type { Membership, Organization, OrganizationRole } from "../domain/organization.js";
import type { PartnerApiKey, PartnerClient } from "../domain/partner.js";
import type { User, UserWithCredentials } from "../domain/user.js";

/** The accounts database. Every write that changes state takes the events it publishes (outbox). */
export interface AccountsStore {
  /** ALREADY_EXISTS when the email is taken. */
  insertUser(user: UserWithCredentials, events: OutgoingEvent[]): Promise<void>;
  findUserByEmail(email: string): Promise<UserWithCredentials | undefined>;
  findUser(userId: string): Promise<User | undefined>;
  membershipsOf(userId: string): Promise<Membership[]>;
  insertOrganization(organization: Organization, founder: Membership, events: OutgoingEvent[]): Promise<void>;
  findOrganization(organizationId: string): Promise<Organization | undefined>;
  /** Returns false when the membership already existed (nothing written). */
  addMember(membership: Membership, events: OutgoingEvent[]): Promise<boolean>;
  insertPartnerClient(
    client: PartnerClient,
    key: PartnerApiKey,
    secretHash: Buffer,
    events: OutgoingEvent[],
  ): Promise<void>;
  findPartnerClient(partnerClientId: string): Promise<PartnerClient | undefined>;
  insertApiKey(key: PartnerApiKey, secretHash: Buffer): Promise<void>;
  findApiKey(keyId: string): Promise<{ key: PartnerApiKey; secretHash: Buffer; client: PartnerClient } | undefined>;
  revokeApiKey(keyId: string, at: Date): Promise<PartnerApiKey | undefined>;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** With no hash (unknown user) it still spends the same time, and answers false. */
  verify(hash: string | undefined, password: string): Promise<boolean>;
}

export interface ApiKeySecrets {
  generate(): string;
  hash(secret: string): Buffer;
  matches(secret: string, hash: Buffer): boolean;
}

export interface TokenIssuer {
  issue(userId: string, roles: Record<string, OrganizationRole[]>): Promise<{ token: string; expiresAt: Date }>;
  /** A short-lived token whose subject is a partner client. */
  issueForPartner(partnerClientId: string): Promise<{ token: string; expiresAt: Date }>;
  /** Public JWKs (JSON) of every key whose tokens may still be valid. */
  publicKeys(): Promise<string[]>;
}

export interface AccountsEvents {
  userRegistered(user: User): OutgoingEvent;
  organizationCreated(organization: Organization): OutgoingEvent;
  memberAdded(membership: Membership): OutgoingEvent;
  partnerClientCreated(client: PartnerClient): OutgoingEvent;
}

export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  newId(): string;
}

export interface AccountsDeps {
  store: AccountsStore;
  passwords: PasswordHasher;
  apiKeySecrets: ApiKeySecrets;
  tokens: TokenIssuer;
  events: AccountsEvents;
  clock: Clock;
  ids: IdGenerator;
}
