import { notFound } from "@marquee/platform";
import type { Organization } from "../domain/organization.js";
import type { AccountsDeps } from "./ports.js";
import { currentAccess } from "./start-session.js";

/**
 * The caller founds the organization as its first organizer and gets a token that says so, of
 * the same session as the token they called with (`sessionId`, its `sid` claim) when it had one.
 */
export async function createOrganization(
  deps: AccountsDeps,
  callerId: string,
  name: string,
  sessionId?: string,
): Promise<{ organization: Organization; accessToken: string }> {
  if (!(await deps.store.findUser(callerId))) throw notFound("user");
  const organization: Organization = {
    organizationId: deps.ids.newId(),
    name: name.trim(),
    createdByUserId: callerId,
    createdAt: deps.clock.now(),
  };
  const founder = { organizationId: organization.organizationId, userId: callerId, role: "organizer" as const };
  await deps.store.insertOrganization(organization, founder, [deps.events.organizationCreated(organization)]);
  const { token } = await deps.tokens.issue(callerId, await currentAccess(deps, callerId), sessionId);
  return { organization, accessToken: token };
}
