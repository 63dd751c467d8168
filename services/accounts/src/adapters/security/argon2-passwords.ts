import { hash, verify } from "@node-rs/argon2";
import type { PasswordHasher } from "../../app/ports.js";

/** argon2id with the library's defaults (OWASP's recommended minimum: 19 MiB, 2 passes). */
export class Argon2Passwords implements PasswordHasher {
  private decoy: Promise<string> | undefined;

  hash(password: string): Promise<string> {
    return hash(password);
  }

  async verify(passwordHash: string | undefined, password: string): Promise<boolean> {
    if (passwordHash === undefined) {
      this.decoy ??= hash("decoy password nobody has");
      await verify(await this.decoy, password);
      return false;
    }
    return verify(passwordHash, password);
  }
}
