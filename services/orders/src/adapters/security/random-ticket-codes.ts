import { randomBytes } from "node:crypto";
import type { TicketCodes } from "../../app/ports.js";
import { ticketCode } from "../../domain/tickets.js";

export const randomTicketCodes: TicketCodes = {
  newCodes: (count) => Array.from({ length: count }, () => ticketCode(randomBytes(8))),
};
