import { notFound } from "@marquee/platform";
import type { Organization } from "../domain/organization.js";
import type { AccountsDeps } from "./ports.js";

export async function getOrganization(deps: AccountsDeps, organizationId: string): Promise<Organization> {
  const organization = await deps.store.findOrganization(organizationId);
  if (!organization) throw notFound("organization");
  return organization;
}
