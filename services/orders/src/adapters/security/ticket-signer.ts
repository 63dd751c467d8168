import { CompactSign } from "jose";
import { SIGNING_ALGORITHM, type PostgresKeyring } from "@marquee/platform/keyring";
import type { TicketSigner } from "../../app/ports.js";
import type { OrderState } from "../../domain/order.js";

/**
 * A ticket's QR payload: a compact JWS (Ed25519, deterministic) over the ticket's facts, so a
 * door scanner with the published keys can tell a real ticket offline.
 */
export class JwsTicketSigner implements TicketSigner {
  constructor(private readonly keyring: PostgresKeyring) {}

  async sign(order: OrderState, ticketCode: string): Promise<string> {
    const ticket = order.tickets.find((t) => t.code === ticketCode);
    const { kid, key } = await this.keyring.signingKey();
    const payload = {
      code: ticketCode,
      order: order.orderId,
      show: order.showId,
      tier: order.tierId,
      attendee: ticket?.attendeeName ?? "",
    };
    return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid, typ: "marquee-ticket" })
      .sign(key);
  }

  async publicKeys(): Promise<string[]> {
    return (await this.keyring.publicJwks()).map((jwk) => JSON.stringify(jwk));
  }
}
