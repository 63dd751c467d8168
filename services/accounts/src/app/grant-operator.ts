import { notFound } from "@marquee/platform";
import { normalizeEmail } from "../domain/user.js";
import type { AccountsDeps } from "./ports.js";

/**
 * Gives the user with this email the operator role, or takes it back (`operator: false`).
 * Idempotent: granting twice (or revoking someone who is no operator) changes nothing. Tokens
 * already issued keep what they say until they expire; the next sign-in or refresh says it anew.
 */
export async function grantOperator(
  deps: AccountsDeps,
  input: { email: string; operator: boolean },
): Promise<{ userId: string; operator: boolean }> {
  const user = await deps.store.findUserByEmail(normalizeEmail(input.email));
  if (!user) throw notFound("a user with this email");
  await deps.store.setOperator(user.userId, input.operator, deps.clock.now());
  return { userId: user.userId, operator: input.operator };
}
