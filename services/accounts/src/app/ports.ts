import type { OutgoingEvent } from "@marquee/platform";
import type { Access } from "../domain/access.js";
import type { Membership, Organization } from "../domain/organization.js";
import type { PartnerApiKey, PartnerClient } from "../domain/partner.js";
import type { RefreshTokenState, SessionPolicy } from "../domain/session.js";
import type { User, UserWithCredentials } from "../domain/user.js";

/** The accounts database. Every write that changes state takes the events it publishes (outbox). */
export interface AccountsStore {
  /** ALREADY_EXISTS when the email is taken. */
  insertUser(user: UserWithCredentials, events: OutgoingEvent[]): Promise<void>;
  findUserByEmail(email: string): Promise<UserWithCredentials | undefined>;
  findUser(userId: string): Promise<User | undefined>;
  membershipsOf(userId: string): Promise<Membership[]>;
  /** Whether the user holds the operator role. */
  isOperator(userId: string): Promise<boolean>;
  /** Grants (true) or takes back (false) the operator role; doing it again changes nothing. */
  setOperator(userId: string, operator: boolean, at: Date): Promise<void>;
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

/** A refresh token to store: only its hash. */
export interface NewRefreshToken {
  tokenHash: Buffer;
  issuedAt: Date;
  expiresAt: Date;
}

/** Sessions and their refresh tokens (the accounts database). */
export interface SessionStore {
  /** A new session with its first refresh token. */
  startSession(
    session: { sessionId: string; userId: string; startedAt: Date; expiresAt: Date },
    first: NewRefreshToken,
  ): Promise<void>;
  /**
   * Spends `tokenHash` and stores its successor in one statement: only an unspent, unexpired
   * token of a live session is spent, so of two concurrent calls with one token at most one gets
   * an answer. The successor expires at `next.expiresAt` or at its session's end, the earlier.
   * Undefined when nothing was spent.
   */
  rotate(
    tokenHash: Buffer,
    next: NewRefreshToken,
  ): Promise<{ sessionId: string; userId: string; expiresAt: Date } | undefined>;
  findRefreshToken(tokenHash: Buffer): Promise<RefreshTokenState | undefined>;
  /** Revokes the session (every token of it); false when it was revoked already. */
  revokeSession(sessionId: string, at: Date, reason: "logout" | "reuse"): Promise<boolean>;
  /** Revokes the session `tokenHash` belongs to, spent or not; false when there is none live. */
  revokeSessionOf(tokenHash: Buffer, at: Date): Promise<boolean>;
  /** Deletes up to `limit` sessions that ended before `before`; true while more are left. */
  purgeEnded(before: Date, limit: number): Promise<boolean>;
}

/** Refresh tokens: random and long enough that a fast hash at rest is enough (like API keys). */
export interface SessionSecrets {
  generate(): string;
  hash(token: string): Buffer;
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
  /**
   * A user's access token carrying their roles (and `op` for an operator, nothing for others);
   * with `sessionId`, its `sid` claim names the session it belongs to.
   */
  issue(userId: string, access: Access, sessionId?: string): Promise<{ token: string; expiresAt: Date }>;
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
  sessions: SessionStore;
  sessionSecrets: SessionSecrets;
  sessionPolicy: SessionPolicy;
  passwords: PasswordHasher;
  apiKeySecrets: ApiKeySecrets;
  tokens: TokenIssuer;
  events: AccountsEvents;
  clock: Clock;
  ids: IdGenerator;
}
