import { randomUUID } from "node:crypto";
import Router from "@koa/router";
import { z } from "zod";
import { serviceCursor } from "@marquee/platform";
import { parseRequest } from "@marquee/platform/http";
import { DEPOSIT_MINOR, PAGE_SIZE } from "@marquee/proto/facts";
import { requireSession } from "@marquee/platform/web/session";
import { bodyOf } from "@marquee/platform/web/body";
import type { WebDeps } from "../deps.js";
import { idempotent } from "../http/idempotency.js";
import { cursor, idempotencyKey, pageSize } from "../http/schemas.js";
import { statementEntryView } from "../views/account.js";
import { moneyView } from "../views/money.js";

const deposit = z.object({
  amountMinor: z
    .number({ error: "must be a number (minor units, e.g. cents)" })
    .int()
    .min(DEPOSIT_MINOR.min)
    .max(DEPOSIT_MINOR.max),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, "must be an ISO 4217 code in upper case (3 letters)")
    .default("EUR"),
});
const statementQuery = z.object({ pageSize: pageSize(PAGE_SIZE.max, PAGE_SIZE.default), cursor });
const headers = z.object({ "idempotency-key": idempotencyKey });

/** The signed-in user's wallet (its account id is their user id): top up, balance and statement. */
export function walletRoutes(deps: WebDeps): Router {
  const { wallet } = deps.clients;
  const router = new Router();

  router.post("/api/wallet/deposits", async (ctx) => {
    const { principal } = requireSession(ctx);
    const { amountMinor, currency } = parseRequest(deposit, bodyOf(ctx));
    // A retried request with the same key deposits once; the key with another amount is a 422 (wallet compares).
    const key = parseRequest(headers, ctx.headers)["idempotency-key"] ?? randomUUID();
    const result = await idempotent(
      wallet.deposit({
        accountId: principal.userId,
        amount: { amountMinor, currency },
        idempotencyKey: key,
      }),
    );
    ctx.status = 201;
    ctx.body = { transactionId: result.transactionId, balance: moneyView(result.balance) };
  });

  router.get("/api/wallet", async (ctx) => {
    const { principal } = requireSession(ctx);
    const query = parseRequest(statementQuery, ctx.query);
    const accountId = principal.userId;
    const [balance, statement] = await Promise.all([
      wallet.getBalance({ accountId }),
      wallet.getStatement({ accountId, pageSize: query.pageSize, pageToken: query.cursor ?? "" }),
    ]);
    ctx.body = {
      balance: moneyView(balance.balance),
      statement: {
        entries: statement.entries.map(statementEntryView),
        nextCursor: serviceCursor.next(statement.nextPageToken),
      },
    };
  });

  return router;
}
