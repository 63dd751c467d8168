import type { Middleware } from "koa";
import { serviceCursor } from "@marquee/platform";
import { deposit, depositRequest, statementPage, statementQuery, wallet } from "../contract/wallet.js";
import { partnerOf } from "../auth/require-partner.js";
import type { PartnerDeps } from "../deps.js";
import { withApiFieldNames } from "../http/field-names.js";
import { route, type Route } from "../http/route.js";
import { idempotencyKeyOf } from "../idempotency/key.js";
import { moneyView, optionalMoneyView } from "../views/money.js";
import { statementEntryView } from "../views/wallet.js";

const WALLET_FIELDS = {
  page_token: "cursor",
  page_size: "limit",
  idempotency_key: "Idempotency-Key",
  "amount.amount_minor": "amount.amount_minor",
  "amount.currency": "amount.currency",
};

/** The partner's wallet is the wallet account whose id is the partner client id. */
export function walletRoutes(deps: PartnerDeps, idempotent: Middleware): Route[] {
  const { wallet: wallets } = deps.clients;
  return [
    route({
      method: "get",
      path: "/v1/wallet",
      operationId: "getWallet",
      tag: "Wallet",
      summary: "The wallet's balance",
      responses: { 200: { description: "The balance.", schema: wallet } },
      handler: async ({ ctx }) => {
        const { balance } = await wallets.getBalance({ accountId: partnerOf(ctx).partnerId });
        return { status: 200, body: { balance: optionalMoneyView(balance) } };
      },
    }),
    route({
      method: "get",
      path: "/v1/wallet/statement",
      operationId: "getWalletStatement",
      tag: "Wallet",
      summary: "The wallet's statement",
      description: "Deposits, charges and refunds, newest first, cursor-paginated.",
      query: statementQuery,
      responses: { 200: { description: "A page of statement entries.", schema: statementPage } },
      handler: async ({ query, ctx }) => {
        const page = await withApiFieldNames(
          wallets.getStatement({
            accountId: partnerOf(ctx).partnerId,
            pageSize: query.limit,
            pageToken: serviceCursor.pageToken(query.cursor),
          }),
          WALLET_FIELDS,
        );
        return {
          status: 200,
          body: { data: page.entries.map(statementEntryView), next_cursor: serviceCursor.next(page.nextPageToken) },
        };
      },
    }),
    route({
      method: "post",
      path: "/v1/wallet/deposits",
      operationId: "depositToWallet",
      tag: "Wallet",
      summary: "Deposit into the wallet",
      description:
        "Adds funds (in sandbox and test set-ups; production funding goes through the partner agreement). The first deposit fixes the wallet's currency.",
      body: depositRequest,
      before: [idempotent],
      responses: { 201: { description: "The deposit and the new balance.", schema: deposit } },
      handler: async ({ body, ctx }) => {
        const done = await withApiFieldNames(
          wallets.deposit({
            accountId: partnerOf(ctx).partnerId,
            amount: { amountMinor: body.amount.amount_minor, currency: body.amount.currency },
            idempotencyKey: idempotencyKeyOf(ctx),
          }),
          WALLET_FIELDS,
        );
        return {
          status: 201,
          body: {
            transaction_id: done.transactionId,
            balance: moneyView(done.balance ?? { amountMinor: 0, currency: body.amount.currency }),
          },
        };
      },
    }),
  ];
}
