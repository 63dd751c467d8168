import { notFound, permissionDenied } from "@marquee/platform";
import { canManageMembers, type Membership } from "../domain/organization.js";
import type { AccountsDeps } from "./ports.js";

/** Idempotent: adding an existing membership again returns it and publishes nothing. */
export async function addMember(deps: AccountsDeps, callerId: string, membership: Membership): Promise<Membership> {
  if (!(await deps.store.findOrganization(membership.organizationId))) throw notFound("organization");
  if (!canManageMembers(await deps.store.membershipsOf(callerId), membership.organizationId)) {
    throw permissionDenied("only an organizer of the organization may add members");
  }
  if (!(await deps.store.findUser(membership.userId))) throw notFound("user");
  await deps.store.addMember(membership, [deps.events.memberAdded(membership)]);
  return membership;
}
