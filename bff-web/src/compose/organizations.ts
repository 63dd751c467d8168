import type { Organization } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { notFound } from "@marquee/platform";
import type { Clients } from "../clients.js";

const MAX_ENTRIES = 10_000;

/**
 * Organization names for composed pages, kept for `ttlMs` (they rarely change and are public):
 * the show page's organization part, which must wait for the show to learn the organization's id,
 * then adds nothing after the show's answer. Concurrent misses for one id share a single call;
 * failures are not kept.
 */
export class OrganizationDirectory {
  private readonly entries = new Map<string, { at: number; value: Promise<Organization> }>();

  constructor(
    private readonly accounts: Clients["accounts"],
    private readonly ttlMs: number,
  ) {}

  get(organizationId: string): Promise<Organization> {
    const now = Date.now();
    const cached = this.entries.get(organizationId);
    if (cached && now - cached.at < this.ttlMs) return cached.value;
    const value = this.fetch(organizationId);
    if (this.ttlMs > 0) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value ?? "");
      this.entries.set(organizationId, { at: now, value });
      value.catch(() => {
        if (this.entries.get(organizationId)?.value === value) this.entries.delete(organizationId);
      });
    }
    return value;
  }

  private async fetch(organizationId: string): Promise<Organization> {
    const { organization } = await this.accounts.getOrganization({ organizationId });
    if (!organization) throw notFound("organization");
    return organization;
  }
}
