const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; // Crockford base32: no I, L, O, U

/** A ticket code people can read out at the door: 12 base32 characters (60 random bits). */
export function ticketCode(random: Uint8Array): string {
  if (random.length < 8) throw new Error("a ticket code needs 8 random bytes");
  let bits = 0n;
  for (const byte of random.subarray(0, 8)) bits = (bits << 8n) | BigInt(byte);
  let code = "";
  for (let i = 0; i < 12; i++) {
    code += ALPHABET[Number(bits & 31n)];
    bits >>= 5n;
  }
  return code;
}

/** Codes are matched case-insensitively and without separators people may type. */
export function normalizeTicketCode(input: string): string {
  return input.replace(/[\s-]/g, "").toUpperCase();
}
