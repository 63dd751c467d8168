import { unauthenticated } from "@marquee/platform";
import { rolesByOrganization } from "../domain/organization.js";
import { normalizeEmail, type User } from "../domain/user.js";
import type { AccountsDeps } from "./ports.js";

export async function authenticate(
  deps: AccountsDeps,
  input: { email: string; password: string },
): Promise<{ token: string; expiresAt: Date; user: User }> {
  const found = await deps.store.findUserByEmail(normalizeEmail(input.email));
  const valid = await deps.passwords.verify(found?.passwordHash, input.password);
  if (!found || !valid) throw unauthenticated("email or password is wrong");
  const { passwordHash: _, ...user } = found;
  const roles = rolesByOrganization(await deps.store.membershipsOf(user.userId));
  return { ...(await deps.tokens.issue(user.userId, roles)), user };
}
