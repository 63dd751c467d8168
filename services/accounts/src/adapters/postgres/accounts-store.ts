import type { Pool, PoolClient } from "pg";
import { alreadyExists, type OutgoingEvent } from "@marquee/platform";
import { appendToOutbox } from "@marquee/platform/outbox";
import { isUniqueViolation, withTransaction } from "@marquee/platform/postgres";
import type { AccountsStore } from "../../app/ports.js";
import type { Membership, Organization, OrganizationRole } from "../../domain/organization.js";
import type { PartnerApiKey, PartnerClient } from "../../domain/partner.js";
import type { User, UserWithCredentials } from "../../domain/user.js";

export class PostgresAccountsStore implements AccountsStore {
  constructor(private readonly pool: Pool) {}

  async insertUser(user: UserWithCredentials, events: OutgoingEvent[]): Promise<void> {
    try {
      await this.write(events, (tx) =>
        tx.query(
          `INSERT INTO users (user_id, email, display_name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)`,
          [user.userId, user.email, user.displayName, user.passwordHash, user.createdAt],
        ),
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw alreadyExists("a user with this email");
      throw error;
    }
  }

  async findUserByEmail(email: string): Promise<UserWithCredentials | undefined> {
    const { rows } = await this.pool.query<UserRow & { password_hash: string }>(
      `SELECT user_id, email, display_name, password_hash, created_at FROM users WHERE email = $1`,
      [email],
    );
    return rows[0] && { ...toUser(rows[0]), passwordHash: rows[0].password_hash };
  }

  async findUser(userId: string): Promise<User | undefined> {
    const { rows } = await this.pool.query<UserRow>(
      `SELECT user_id, email, display_name, created_at FROM users WHERE user_id = $1`,
      [userId],
    );
    return rows[0] && toUser(rows[0]);
  }

  async membershipsOf(userId: string): Promise<Membership[]> {
    const { rows } = await this.pool.query<{ organization_id: string; user_id: string; role: OrganizationRole }>(
      `SELECT organization_id, user_id, role FROM memberships WHERE user_id = $1 ORDER BY created_at`,
      [userId],
    );
    return rows.map((r) => ({ organizationId: r.organization_id, userId: r.user_id, role: r.role }));
  }

  async isOperator(userId: string): Promise<boolean> {
    const { rows } = await this.pool.query<{ operator: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM operators WHERE user_id = $1) AS operator`,
      [userId],
    );
    return rows[0]?.operator === true;
  }

  async setOperator(userId: string, operator: boolean, at: Date): Promise<void> {
    await this.pool.query(
      operator
        ? `INSERT INTO operators (user_id, granted_at) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING`
        : `DELETE FROM operators WHERE user_id = $1`,
      operator ? [userId, at] : [userId],
    );
  }

  async insertOrganization(org: Organization, founder: Membership, events: OutgoingEvent[]): Promise<void> {
    await this.write(events, async (tx) => {
      await tx.query(
        `INSERT INTO organizations (organization_id, name, created_by, created_at) VALUES ($1, $2, $3, $4)`,
        [org.organizationId, org.name, org.createdByUserId, org.createdAt],
      );
      await insertMembership(tx, founder);
    });
  }

  async findOrganization(organizationId: string): Promise<Organization | undefined> {
    const { rows } = await this.pool.query<{
      organization_id: string;
      name: string;
      created_by: string;
      created_at: Date;
    }>(`SELECT organization_id, name, created_by, created_at FROM organizations WHERE organization_id = $1`, [
      organizationId,
    ]);
    const row = rows[0];
    return (
      row && {
        organizationId: row.organization_id,
        name: row.name,
        createdByUserId: row.created_by,
        createdAt: row.created_at,
      }
    );
  }

  async addMember(membership: Membership, events: OutgoingEvent[]): Promise<boolean> {
    return withTransaction(this.pool, async (tx) => {
      const added = await insertMembership(tx, membership);
      if (added) await appendToOutbox(tx, events);
      return added;
    });
  }

  async insertPartnerClient(
    client: PartnerClient,
    key: PartnerApiKey,
    secretHash: Buffer,
    events: OutgoingEvent[],
  ): Promise<void> {
    await this.write(events, async (tx) => {
      await tx.query(
        `INSERT INTO partner_clients (partner_client_id, name, owner_user_id, created_at) VALUES ($1, $2, $3, $4)`,
        [client.partnerClientId, client.name, client.ownerUserId, client.createdAt],
      );
      await insertKey(tx, key, secretHash);
    });
  }

  async findPartnerClient(partnerClientId: string): Promise<PartnerClient | undefined> {
    const { rows } = await this.pool.query<ClientRow>(
      `SELECT partner_client_id, name, owner_user_id, created_at FROM partner_clients WHERE partner_client_id = $1`,
      [partnerClientId],
    );
    return rows[0] && toClient(rows[0]);
  }

  async insertApiKey(key: PartnerApiKey, secretHash: Buffer): Promise<void> {
    await insertKey(this.pool, key, secretHash);
  }

  async findApiKey(keyId: string) {
    const { rows } = await this.pool.query<KeyRow & ClientRow & { secret_hash: Buffer }>(
      `SELECT k.key_id, k.secret_hash, k.created_at AS key_created_at, k.revoked_at,
              c.partner_client_id, c.name, c.owner_user_id, c.created_at
         FROM partner_api_keys k JOIN partner_clients c USING (partner_client_id)
        WHERE k.key_id = $1`,
      [keyId],
    );
    const row = rows[0];
    return row && { key: toKey(row), secretHash: row.secret_hash, client: toClient(row) };
  }

  async revokeApiKey(keyId: string, at: Date): Promise<PartnerApiKey | undefined> {
    const { rows } = await this.pool.query<KeyRow>(
      `UPDATE partner_api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE key_id = $1
       RETURNING key_id, partner_client_id, created_at AS key_created_at, revoked_at`,
      [keyId, at],
    );
    return rows[0] && toKey(rows[0]);
  }

  private async write(events: OutgoingEvent[], change: (tx: PoolClient) => Promise<unknown>): Promise<void> {
    await withTransaction(this.pool, async (tx) => {
      await change(tx);
      await appendToOutbox(tx, events);
    });
  }
}

type Queryable = Pick<PoolClient, "query">;

async function insertMembership(tx: Queryable, m: Membership): Promise<boolean> {
  const result = await tx.query(
    `INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
    [m.organizationId, m.userId, m.role],
  );
  return result.rowCount === 1;
}

async function insertKey(db: Queryable, key: PartnerApiKey, secretHash: Buffer): Promise<void> {
  await db.query(
    `INSERT INTO partner_api_keys (key_id, partner_client_id, secret_hash, created_at) VALUES ($1, $2, $3, $4)`,
    [key.keyId, key.partnerClientId, secretHash, key.createdAt],
  );
}

interface UserRow {
  user_id: string;
  email: string;
  display_name: string;
  created_at: Date;
}
interface ClientRow {
  partner_client_id: string;
  name: string;
  owner_user_id: string;
  created_at: Date;
}
interface KeyRow {
  key_id: string;
  partner_client_id: string;
  key_created_at: Date;
  revoked_at: Date | null;
}

const toUser = (r: UserRow): User => ({
  userId: r.user_id,
  email: r.email,
  displayName: r.display_name,
  createdAt: r.created_at,
});
const toClient = (r: ClientRow): PartnerClient => ({
  partnerClientId: r.partner_client_id,
  name: r.name,
  ownerUserId: r.owner_user_id,
  createdAt: r.created_at,
});
const toKey = (r: KeyRow): PartnerApiKey => ({
  keyId: r.key_id,
  partnerClientId: r.partner_client_id,
  createdAt: r.key_created_at,
  revokedAt: r.revoked_at ?? undefined,
});
