import { z } from "zod";
import { MAX_SEATS_PER_ORDER } from "../../domain/hold.js";

export const MAX_SHOWS_PER_AVAILABILITY = 100;

export const schemas = {
  reserveSeats: z.object({
    orderId: z.uuid(),
    showId: z.uuid(),
    tierId: z.uuid(),
    quantity: z.number().int().min(1).max(MAX_SEATS_PER_ORDER),
    buyerId: z.uuid(),
  }),
  releaseSeats: z.object({
    orderId: z.uuid(),
    reason: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, { error: "must be a code in capitals, e.g. ORDER_REJECTED" }),
  }),
  confirmSeats: z.object({ orderId: z.uuid() }),
  getAvailability: z.object({ showIds: z.array(z.uuid()).min(1).max(MAX_SHOWS_PER_AVAILABILITY) }),
  getOrderSeatsAsOf: z.object({ orderId: z.uuid(), at: z.date().optional() }),
};
