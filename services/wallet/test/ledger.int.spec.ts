import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { bearer } from "@marquee/platform";
import { ChargeOutcome } from "@marquee/proto/marquee/wallet/v1/wallet_service";
import { eur, startWalletSystem, unbalancedTransactions, type User, type WalletSystem } from "./system.js";

/** What the ledger guarantees whatever the callers do at the same time (real PostgreSQL). */
describe("wallet ledger invariants", function () {
  this.timeout(60_000);
  let system: WalletSystem;

  const fund = (user: User, amountMinor: number, key: string = randomUUID()) =>
    system.wallet.deposit(
      { accountId: user.userId, amount: eur(amountMinor), idempotencyKey: key },
      { metadata: bearer(user.token) },
    );
  const balanceOf = async (user: User) =>
    (await system.wallet.getBalance({ accountId: user.userId }, { metadata: bearer(user.token) })).balance?.amountMinor;

  before(async () => {
    system = await startWalletSystem();
  });

  after(async () => {
    await system?.dispose();
  });

  it("50 concurrent charges of 10 against 200: exactly 20 charged, balance 0, never negative", async () => {
    const ada = await system.signUp();
    await fund(ada, 200);
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, () =>
        system.wallet.chargeForOrder({ orderId: randomUUID(), accountId: ada.userId, amount: eur(10) }),
      ),
    );
    const charged = outcomes.filter((o) => o.outcome === ChargeOutcome.CHARGE_OUTCOME_CHARGED);
    assert.equal(charged.length, 20);
    assert.equal(outcomes.filter((o) => o.outcome === ChargeOutcome.CHARGE_OUTCOME_INSUFFICIENT_FUNDS).length, 30);
    assert.equal(new Set(charged.map((o) => o.transactionId)).size, 20);
    assert.equal(await balanceOf(ada), 0);
    const { rows } = await system.sql.query<{ lowest: string; count: string }>(
      "SELECT min(balance_after) AS lowest, count(*) AS count FROM entries WHERE account_id = $1",
      [ada.userId],
    );
    assert.equal(Number(rows[0]?.lowest), 0);
    assert.equal(Number(rows[0]?.count), 21);
  });

  it("the same deposit sent 10 times at once is taken once", async () => {
    const ada = await system.signUp();
    const responses = await Promise.all(Array.from({ length: 10 }, () => fund(ada, 70, "once")));
    assert.equal(new Set(responses.map((r) => r.transactionId)).size, 1);
    assert.equal(await balanceOf(ada), 70);
  });

  it("the same order charged 10 times at once is charged once; refunded 10 times at once, refunded once", async () => {
    const ada = await system.signUp();
    await fund(ada, 1000);
    const orderId = randomUUID();
    const charges = await Promise.all(
      Array.from({ length: 10 }, () =>
        system.wallet.chargeForOrder({ orderId, accountId: ada.userId, amount: eur(300) }),
      ),
    );
    assert.equal(new Set(charges.map((c) => c.transactionId)).size, 1);
    assert.ok(charges.every((c) => c.outcome === ChargeOutcome.CHARGE_OUTCOME_CHARGED));
    assert.equal(await balanceOf(ada), 700);
    const refunds = await Promise.all(
      Array.from({ length: 10 }, () => system.wallet.refundOrder({ orderId, reason: "ORDER_CANCELLED" })),
    );
    assert.equal(refunds.filter((r) => r.refunded).length, 1);
    assert.equal(await balanceOf(ada), 1000);
  });

  it("after a mixed run every transaction balances, and the system accounts mirror the owners", async () => {
    const users = await Promise.all(Array.from({ length: 5 }, () => system.signUp()));
    await Promise.all(
      users.map(async (user, i) => {
        await fund(user, 500 + i);
        const orders = Array.from({ length: 6 }, () => randomUUID());
        await Promise.all(
          orders.map((orderId, n) =>
            system.wallet.chargeForOrder({ orderId, accountId: user.userId, amount: eur(90 + n) }),
          ),
        );
        await Promise.all(
          orders.slice(0, 3).map((orderId) => system.wallet.refundOrder({ orderId, reason: "ORDER_REJECTED" })),
        );
        await fund(user, 40);
      }),
    );
    assert.deepEqual(await unbalancedTransactions(system.sql), []);
    const { rows } = await system.sql.query<{ account_id: string; sum: string }>(
      "SELECT account_id, sum(amount) AS sum FROM entries WHERE currency = 'EUR' GROUP BY account_id",
    );
    const sums = new Map(rows.map((r) => [r.account_id, Number(r.sum)]));
    const { rows: owners } = await system.sql.query<{ total: string; stored: string }>(
      "SELECT sum(balance) AS stored, (SELECT sum(amount) FROM entries WHERE account_id NOT LIKE '%:%') AS total FROM accounts WHERE kind = 'owner'",
    );
    assert.equal(Number(owners[0]?.stored), Number(owners[0]?.total), "owner balances are the sums of their entries");
    const { rows: money } = await system.sql.query<{ deposited: string; charged: string; refunded: string }>(
      `SELECT sum(amount) FILTER (WHERE kind = 'DEPOSIT') AS deposited, sum(amount) FILTER (WHERE kind = 'CHARGE') AS charged,
              sum(amount) FILTER (WHERE kind = 'REFUND') AS refunded FROM transactions`,
    );
    assert.equal(sums.get("external:EUR"), -Number(money[0]?.deposited));
    assert.equal(sums.get("escrow:EUR"), Number(money[0]?.charged) - Number(money[0]?.refunded));
  });

  describe("the database itself refuses", () => {
    const attempt = async (statements: string[]): Promise<string> => {
      const client = await system.sql.connect();
      try {
        await client.query("BEGIN");
        for (const statement of statements) await client.query(statement);
        await client.query("COMMIT");
        return "committed";
      } catch (error) {
        await client.query("ROLLBACK");
        return (error as { code?: string }).code ?? String(error);
      } finally {
        client.release();
      }
    };

    it("to commit a transaction whose entries do not sum to zero", async () => {
      const ada = await system.signUp();
      await fund(ada, 100);
      const id = randomUUID();
      const result = await attempt([
        `INSERT INTO transactions (transaction_id, kind, account_id, amount, currency, idempotency_key, created_at)
         VALUES ('${id}', 'DEPOSIT', '${ada.userId}', 100, 'EUR', 'forged', now())`,
        `INSERT INTO entries (transaction_id, account_id, amount, currency, balance_after, created_at)
         VALUES ('${id}', '${ada.userId}', 100, 'EUR', 200, now())`,
        `UPDATE accounts SET balance = balance + 100 WHERE account_id = '${ada.userId}'`,
      ]);
      assert.equal(result, "23514");
      assert.equal(await balanceOf(ada), 100);
      assert.deepEqual(await unbalancedTransactions(system.sql), []);
    });

    it("an owner balance below zero, and an entry in another currency than its account", async () => {
      const ada = await system.signUp();
      await fund(ada, 100);
      assert.equal(
        await attempt([`UPDATE accounts SET balance = balance - 101 WHERE account_id = '${ada.userId}'`]),
        "23514",
      );
      const id = randomUUID();
      const usd = await attempt([
        `INSERT INTO transactions (transaction_id, kind, account_id, amount, currency, idempotency_key, created_at)
         VALUES ('${id}', 'DEPOSIT', '${ada.userId}', 5, 'USD', 'usd', now())`,
        `INSERT INTO entries (transaction_id, account_id, amount, currency, created_at) VALUES
           ('${id}', '${ada.userId}', 5, 'USD', now()), ('${id}', 'external:EUR', -5, 'USD', now())`,
      ]);
      assert.equal(usd, "23503");
    });

    it("to change or delete what the ledger holds", async () => {
      const ada = await system.signUp();
      await fund(ada, 100);
      assert.equal(
        await attempt([`UPDATE entries SET amount = amount * 2 WHERE account_id = '${ada.userId}'`]),
        "23001",
      );
      assert.equal(await attempt([`DELETE FROM transactions WHERE account_id = '${ada.userId}'`]), "23001");
    });
  });
});
