import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { bearer, createClient } from "@marquee/platform";
import { issuedIdentity } from "@marquee/platform/testing/tls";
import { waitFor } from "@marquee/platform/testing/wait";
import {
  WalletAdminServiceClient,
  type GetOrderLedgerAsOfResponse,
} from "@marquee/proto/marquee/wallet/v1/wallet_admin_service";
import { EntryKind } from "@marquee/proto/marquee/wallet/v1/wallet_service";
import { eur, rejectsWith, startWalletSystem, type User, type WalletSystem } from "./system.js";

type WalletAdmin = ReturnType<typeof createClient<WalletAdminServiceClient>>;

const before1ms = (at: Date | undefined): Date => new Date(at!.getTime() - 1);

/** Waits until the clock has moved past `at`, so the next transaction is stamped later (no fixed sleep). */
const clockPast = (at: Date | undefined) =>
  waitFor(() => Date.now() > at!.getTime() + 1, { timeoutMs: 1_000, message: "the clock to tick" });

/** Entries as [kind, account, signed amount], oldest first. */
const legs = (answer: GetOrderLedgerAsOfResponse) =>
  answer.entries.map((entry) => [entry.kind, entry.account, entry.amount?.amountMinor]);

describe("wallet's GetOrderLedgerAsOf (operators; real PostgreSQL, NATS, accounts)", function () {
  this.timeout(60_000);
  let system: WalletSystem;
  /** As a person holding the operator certificate (this test process's). */
  let operator: WalletAdmin;
  /** As the operations console (bff-ops), which must present an operator user's token. */
  let console: WalletAdmin;

  before(async () => {
    system = await startWalletSystem();
    operator = createClient(WalletAdminServiceClient, system.walletProcess.address);
    console = createClient(WalletAdminServiceClient, system.walletProcess.address, {
      identity: issuedIdentity("bff-ops"),
    });
  });

  after(async () => {
    operator?.close();
    console?.close();
    await system?.dispose();
  });

  const fund = (user: User, amountMinor: number) =>
    system.wallet.deposit(
      { accountId: user.userId, amount: eur(amountMinor), idempotencyKey: randomUUID() },
      { metadata: bearer(user.token) },
    );

  it("between charge and refund: the charge's entries and what the buyer paid; after the refund: both, and nothing paid", async () => {
    const ada = await system.signUp();
    await fund(ada, 10_000);
    const orderId = randomUUID();
    const { transactionId: chargeId } = await system.wallet.chargeForOrder({
      orderId,
      accountId: ada.userId,
      amount: eur(4_500),
    });
    const charged = await operator.call.getOrderLedgerAsOf({ orderId });
    const chargedAt = charged.entries[0]?.at;
    await clockPast(chargedAt);
    assert.equal((await system.wallet.refundOrder({ orderId, reason: "ORDER_CANCELLED" })).refunded, true);

    const now = await operator.call.getOrderLedgerAsOf({ orderId });
    assert.deepEqual(legs(now), [
      [EntryKind.ENTRY_KIND_CHARGE, ada.userId, -4_500],
      [EntryKind.ENTRY_KIND_CHARGE, "escrow:EUR", 4_500],
      [EntryKind.ENTRY_KIND_REFUND, "escrow:EUR", -4_500],
      [EntryKind.ENTRY_KIND_REFUND, ada.userId, 4_500],
    ]);
    assert.equal(now.entries[0]?.transactionId, chargeId);
    assert.deepEqual(now.netCharged, eur(0));
    const refundedAt = now.entries[2]?.at;
    assert.ok(refundedAt!.getTime() > chargedAt!.getTime());

    const beforeCharge = await operator.call.getOrderLedgerAsOf({ orderId, at: before1ms(chargedAt) });
    assert.deepEqual(beforeCharge, { entries: [], netCharged: eur(0) });
    const atCharge = await operator.call.getOrderLedgerAsOf({ orderId, at: chargedAt });
    assert.deepEqual(legs(atCharge), [
      [EntryKind.ENTRY_KIND_CHARGE, ada.userId, -4_500],
      [EntryKind.ENTRY_KIND_CHARGE, "escrow:EUR", 4_500],
    ]);
    assert.deepEqual(atCharge.netCharged, eur(4_500));
    const justBeforeRefund = await operator.call.getOrderLedgerAsOf({ orderId, at: before1ms(refundedAt) });
    assert.deepEqual(justBeforeRefund, atCharge);
    assert.deepEqual(await operator.call.getOrderLedgerAsOf({ orderId, at: refundedAt }), now);
  });

  it("an order the wallet never charged: no entries, zero paid, not an error; a free order's charge moves nothing", async () => {
    assert.deepEqual(await operator.call.getOrderLedgerAsOf({ orderId: randomUUID() }), {
      entries: [],
      netCharged: { amountMinor: 0, currency: "" },
    });
    const bob = await system.signUp();
    const orderId = randomUUID();
    await system.wallet.chargeForOrder({ orderId, accountId: bob.userId, amount: eur(0) });
    assert.deepEqual(await operator.call.getOrderLedgerAsOf({ orderId }), { entries: [], netCharged: eur(0) });
  });

  it("refuses every workload but the console and the operator certificate", async () => {
    for (const workload of ["orders", "bff-web", "bff-partner"]) {
      const client = createClient(WalletAdminServiceClient, system.walletProcess.address, {
        identity: issuedIdentity(workload),
      });
      try {
        await rejectsWith(client.call.getOrderLedgerAsOf({ orderId: randomUUID() }), "permission_denied");
      } finally {
        client.close();
      }
    }
  });

  it("through the console: an operator user's token is admitted, anyone else's is not", async () => {
    const orderId = randomUUID();
    const ops = await system.signUp();
    const buyer = await system.signUp();
    await rejectsWith(console.call.getOrderLedgerAsOf({ orderId }), "unauthenticated");
    await rejectsWith(
      console.call.getOrderLedgerAsOf({ orderId }, { metadata: bearer(buyer.token) }),
      "permission_denied",
    );
    await system.accounts.grantOperator({ email: ops.email, operator: true });
    const { accessToken } = await system.accounts.authenticate({
      email: ops.email,
      password: "correct horse battery staple",
    });
    const answer = await console.call.getOrderLedgerAsOf({ orderId }, { metadata: bearer(accessToken) });
    assert.deepEqual(answer.entries, []);
  });

  it("names the bad field: order_id", async () => {
    await rejectsWith(operator.call.getOrderLedgerAsOf({ orderId: "" }), "invalid_argument", { field: "order_id" });
  });
});
