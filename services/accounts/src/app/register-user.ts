import { normalizeEmail, type User } from "../domain/user.js";
import type { AccountsDeps } from "./ports.js";

export interface RegisterUserInput {
  email: string;
  displayName: string;
  password: string;
}

export async function registerUser(deps: AccountsDeps, input: RegisterUserInput): Promise<User> {
  const user: User = {
    userId: deps.ids.newId(),
    email: normalizeEmail(input.email),
    displayName: input.displayName.trim(),
    createdAt: deps.clock.now(),
  };
  const passwordHash = await deps.passwords.hash(input.password);
  await deps.store.insertUser({ ...user, passwordHash }, [deps.events.userRegistered(user)]);
  return user;
}
