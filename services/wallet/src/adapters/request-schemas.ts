import { z } from "zod";
import { pageSizeField } from "@marquee/platform";
import { IDEMPOTENCY_KEY_RULES, MONEY_RULES } from "../domain/money.js";
import { statementPageToken } from "./grpc/page-token.js";

const REQUIRED = { error: "is required" };

const money = (range: { min: number; max: number }) =>
  z.object(
    {
      amountMinor: z
        .number()
        .int()
        .min(range.min, `must be at least ${range.min}`)
        .max(range.max, `must be at most ${range.max}`),
      currency: z.string().regex(MONEY_RULES.currency, "must be an ISO 4217 code in upper case (3 letters)"),
    },
    REQUIRED,
  );

/** A user's or partner client's id (both are UUIDs; system accounts are not addressable). */
const accountId = z.uuid();
/** Issued by orders; only its length is ours to check. */
const orderId = z.string().min(1, "is required").max(100);

export const schemas = {
  deposit: z.object({
    accountId,
    amount: money(MONEY_RULES.deposit),
    idempotencyKey: z.string().min(IDEMPOTENCY_KEY_RULES.minLength, "is required").max(IDEMPOTENCY_KEY_RULES.maxLength),
  }),
  chargeForOrder: z.object({ orderId, accountId, amount: money(MONEY_RULES.charge) }),
  refundOrder: z.object({ orderId, reason: z.string().max(200) }),
  getOrderLedgerAsOf: z.object({ orderId, at: z.date().optional() }),
  getBalance: z.object({ accountId }),
  getStatement: z
    .object({
      accountId,
      pageSize: pageSizeField,
      pageToken: statementPageToken.schema,
    })
    .transform(({ pageToken, ...query }) => ({ ...query, after: pageToken })),
};
