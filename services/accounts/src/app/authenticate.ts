import { unauthenticated } from "@marquee/platform";
import { normalizeEmail } from "../domain/user.js";
import type { AccountsDeps } from "./ports.js";
import { startSession, type SessionGrant } from "./start-session.js";

/** Email and password → a new session. A wrong password and an unknown email fail alike, in the same time. */
export async function authenticate(
  deps: AccountsDeps,
  input: { email: string; password: string },
): Promise<SessionGrant> {
  const found = await deps.store.findUserByEmail(normalizeEmail(input.email));
  const valid = await deps.passwords.verify(found?.passwordHash, input.password);
  if (!found || !valid) throw unauthenticated("email or password is wrong");
  const { passwordHash: _, ...user } = found;
  return startSession(deps, user);
}
