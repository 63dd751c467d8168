import { notFound } from "@marquee/platform";
import type { Membership } from "../domain/organization.js";
import type { User } from "../domain/user.js";
import type { AccountsDeps } from "./ports.js";

/** A user sees only themselves; another user's id is NOT_FOUND so ids cannot be probed. */
export async function getUser(
  deps: AccountsDeps,
  callerId: string,
  userId: string,
): Promise<{ user: User; memberships: Membership[] }> {
  const user = callerId === userId ? await deps.store.findUser(userId) : undefined;
  if (!user) throw notFound("user");
  return { user, memberships: await deps.store.membershipsOf(userId) };
}
