import { randomUUID } from "node:crypto";
import { Visitor } from "@marquee/system-testing";

export { Visitor, type Reply, type RequestOptions } from "@marquee/system-testing";

export const PASSWORD = "correct horse battery staple";

export interface SignedUp {
  visitor: Visitor;
  userId: string;
  email: string;
}

/** A new user, signed up and signed in through bff-web (POST /api/users). */
export async function signUp(base: string, name = "Ada"): Promise<SignedUp> {
  const visitor = new Visitor(base);
  const email = `${name.toLowerCase()}.${randomUUID()}@example.com`;
  const reply = await visitor.post<{ user: { userId: string } }>("/api/users", {
    email,
    displayName: name,
    password: PASSWORD,
  });
  if (reply.status !== 201) throw new Error(`sign up failed: ${reply.status} ${reply.text}`);
  return { visitor, userId: reply.body.user.userId, email };
}
