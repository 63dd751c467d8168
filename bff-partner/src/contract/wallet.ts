import { z } from "zod";
import { DEPOSIT_MINOR } from "@marquee/proto/facts";
import { CURRENCY, id, money, pageQuery, timestamp } from "./common.js";
import { pageOf, requestSchema, responseSchema } from "./registry.js";

export const wallet = responseSchema(
  "Wallet",
  z
    .object({
      balance: money.nullable().describe("Null until the first deposit opens the wallet."),
    })
    .describe("The partner's prepaid wallet, which orders are paid from."),
);

export const statementEntry = responseSchema(
  "StatementEntry",
  z.object({
    transaction_id: id,
    kind: z.enum(["deposit", "charge", "refund"]),
    amount: money.describe("Signed: positive credits the wallet, negative debits it."),
    balance_after: money,
    order_id: z.string().nullable(),
    occurred_at: timestamp,
  }),
);

export const statementPage = responseSchema("StatementPage", pageOf(statementEntry));

export const depositRequest = requestSchema(
  "DepositRequest",
  z.strictObject({
    amount: z.strictObject({
      amount_minor: z
        .number()
        .int()
        .min(DEPOSIT_MINOR.min)
        .max(DEPOSIT_MINOR.max)
        .describe(`Minor units; at most ${DEPOSIT_MINOR.max.toLocaleString("en")} per deposit.`),
      currency: z.string().regex(CURRENCY, "must be an ISO 4217 code in upper case (3 letters)"),
    }),
  }),
);

export const deposit = responseSchema(
  "Deposit",
  z.object({ transaction_id: id, balance: money.describe("The balance after the deposit.") }),
);

export const statementQuery = z.object({ ...pageQuery });

export type WalletView = z.output<typeof wallet>;
export type StatementEntryView = z.output<typeof statementEntry>;
