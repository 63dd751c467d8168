import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { jetstreamManager } from "@nats-io/jetstream";
import { bearer, type ErrorKind } from "@marquee/platform";
import { streamEvents } from "@marquee/platform/testing/streams";
import { waitFor } from "@marquee/platform/testing/wait";
import { InventoryEvents } from "@marquee/proto/events";
import {
  FundsCharged,
  FundsDeposited,
  FundsRefunded,
  InsufficientFunds,
} from "@marquee/proto/marquee/wallet/events/v1/events";
import { ChargeOutcome, EntryKind, type StatementEntry } from "@marquee/proto/marquee/wallet/v1/wallet_service";
import { eur, rejectsWith, rowCounts, startWalletSystem, type User, type Wallet, type WalletSystem } from "./system.js";

describe("wallet over gRPC (real PostgreSQL, NATS, accounts)", function () {
  this.timeout(60_000);
  let system: WalletSystem;
  let wallet: Wallet;

  const as = (user: User) => ({ metadata: bearer(user.token) });
  const fund = (user: User, amountMinor: number, key: string = randomUUID()) =>
    wallet.deposit({ accountId: user.userId, amount: eur(amountMinor), idempotencyKey: key }, as(user));
  const balanceOf = async (user: User) => (await wallet.getBalance({ accountId: user.userId }, as(user))).balance;
  const walletEvents = async (subject: string) =>
    (await streamEvents(system.nc, "T_WALLET")).filter((event) => event.subject === `t.wallet.${subject}`);

  /** Runs `call`, which must fail, and shows it wrote nothing. */
  async function refusedWritingNothing(
    call: () => Promise<unknown>,
    kind: ErrorKind,
    detail?: { field?: string; reason?: string },
  ): Promise<void> {
    const before = await rowCounts(system.sql);
    await rejectsWith(call(), kind, detail);
    assert.deepEqual(await rowCounts(system.sql), before);
  }

  before(async () => {
    system = await startWalletSystem();
    wallet = system.wallet;
  });

  after(async () => {
    await system?.dispose();
  });

  describe("Deposit", () => {
    it("credits the owner's account, opens it in the deposit's currency and publishes FundsDeposited", async () => {
      const ada = await system.signUp();
      const { transactionId, balance } = await fund(ada, 500);
      assert.deepEqual(balance, eur(500));
      assert.deepEqual(await balanceOf(ada), eur(500));
      const events = await waitFor(async () => {
        const mine = (await walletEvents("funds_deposited")).filter((e) => e.aggregateId === ada.userId);
        return mine.length > 0 ? mine : undefined;
      });
      assert.equal(events.length, 1);
      assert.equal(events[0]?.type, "marquee.wallet.events.v1.FundsDeposited");
      const deposited = FundsDeposited.decode(events[0]!.payload);
      assert.equal(deposited.transactionId, transactionId);
      assert.deepEqual(deposited.amount, eur(500));
    });

    it("is idempotent by key: the same deposit again returns the first transaction and adds nothing", async () => {
      const ada = await system.signUp();
      const first = await fund(ada, 300, "key-1");
      const again = await fund(ada, 300, "key-1");
      assert.equal(again.transactionId, first.transactionId);
      assert.deepEqual(again.balance, eur(300));
      const other = await fund(ada, 300, "key-2");
      assert.notEqual(other.transactionId, first.transactionId);
      assert.deepEqual(await balanceOf(ada), eur(600));
      await refusedWritingNothing(() => fund(ada, 301, "key-1"), "failed_precondition", {
        reason: "IDEMPOTENCY_KEY_REUSED",
      });
      await waitFor(
        async () => (await walletEvents("funds_deposited")).filter((e) => e.aggregateId === ada.userId).length === 2,
      );
      const keys = (await walletEvents("funds_deposited")).filter((e) => e.aggregateId === ada.userId);
      assert.equal(keys.length, 2);
    });

    it("keeps one currency per account", async () => {
      const ada = await system.signUp();
      await fund(ada, 100);
      await refusedWritingNothing(
        () =>
          wallet.deposit(
            { accountId: ada.userId, amount: { amountMinor: 100, currency: "USD" }, idempotencyKey: "usd" },
            as(ada),
          ),
        "failed_precondition",
        { reason: "CURRENCY_MISMATCH" },
      );
      assert.deepEqual(await balanceOf(ada), eur(100));
    });

    it("lets only the owner deposit: another user is PERMISSION_DENIED, no or a forged token UNAUTHENTICATED", async () => {
      const ada = await system.signUp();
      const bob = await system.signUp();
      const request = { accountId: ada.userId, amount: eur(100), idempotencyKey: "k" };
      await refusedWritingNothing(() => wallet.deposit(request, as(bob)), "permission_denied");
      await refusedWritingNothing(() => wallet.deposit(request), "unauthenticated");
      await refusedWritingNothing(
        () => wallet.deposit(request, { metadata: bearer(ada.token.slice(0, -4) + "AAAA") }),
        "unauthenticated",
      );
    });

    for (const [field, change] of [
      ["account_id", { accountId: "not-a-uuid" }],
      ["amount", { amount: undefined }],
      ["amount.amount_minor", { amount: eur(0) }],
      ["amount.amount_minor", { amount: eur(-5) }],
      ["amount.amount_minor", { amount: eur(10_000_001) }],
      ["amount.currency", { amount: { amountMinor: 100, currency: "euro" } }],
      ["idempotency_key", { idempotencyKey: "" }],
      ["idempotency_key", { idempotencyKey: "k".repeat(101) }],
    ] as const) {
      it(`names the bad field and writes nothing: ${field} ${JSON.stringify(change)}`, async () => {
        const ada = await system.signUp();
        const valid = { accountId: ada.userId, amount: eur(100), idempotencyKey: "k" };
        const request = { ...valid, ...change };
        await refusedWritingNothing(() => wallet.deposit(request, as(ada)), "invalid_argument", { field });
      });
    }

    it("takes the largest deposit allowed", async () => {
      const ada = await system.signUp();
      assert.deepEqual((await fund(ada, 10_000_000)).balance, eur(10_000_000));
    });
  });

  describe("ChargeForOrder", () => {
    it("charges once: a repeat returns the same transaction and balance, and FundsCharged is published once", async () => {
      const ada = await system.signUp();
      await fund(ada, 1000);
      const orderId = randomUUID();
      const first = await wallet.chargeForOrder({ orderId, accountId: ada.userId, amount: eur(300) });
      assert.equal(first.outcome, ChargeOutcome.CHARGE_OUTCOME_CHARGED);
      assert.ok(first.transactionId);
      assert.deepEqual(first.balance, eur(700));
      const again = await wallet.chargeForOrder({ orderId, accountId: ada.userId, amount: eur(300) });
      assert.deepEqual(again, first);
      assert.deepEqual(await balanceOf(ada), eur(700));
      const charged = await waitFor(async () => {
        const mine = (await walletEvents("funds_charged")).filter(
          (e) => FundsCharged.decode(e.payload).orderId === orderId,
        );
        return mine.length > 0 ? mine : undefined;
      });
      assert.equal(charged.length, 1);
      assert.equal(FundsCharged.decode(charged[0]!.payload).transactionId, first.transactionId);
    });

    it("never overdraws: INSUFFICIENT_FUNDS is recorded and stays the order's outcome after a deposit", async () => {
      const ada = await system.signUp();
      await fund(ada, 100);
      const orderId = randomUUID();
      const first = await wallet.chargeForOrder({ orderId, accountId: ada.userId, amount: eur(101) });
      assert.deepEqual(first, {
        outcome: ChargeOutcome.CHARGE_OUTCOME_INSUFFICIENT_FUNDS,
        transactionId: "",
        balance: eur(100),
      });
      await fund(ada, 1000);
      const retried = await wallet.chargeForOrder({ orderId, accountId: ada.userId, amount: eur(101) });
      assert.deepEqual(retried, first);
      assert.deepEqual(await balanceOf(ada), eur(1100));
      const events = await waitFor(async () => {
        const mine = (await walletEvents("insufficient_funds")).filter(
          (e) => InsufficientFunds.decode(e.payload).orderId === orderId,
        );
        return mine.length > 0 ? mine : undefined;
      });
      assert.equal(events.length, 1);
      assert.deepEqual(InsufficientFunds.decode(events[0]!.payload).balance, eur(100));
    });

    it("answers INSUFFICIENT_FUNDS with balance 0 for an account never funded", async () => {
      const response = await wallet.chargeForOrder({ orderId: randomUUID(), accountId: randomUUID(), amount: eur(1) });
      assert.deepEqual(response, {
        outcome: ChargeOutcome.CHARGE_OUTCOME_INSUFFICIENT_FUNDS,
        transactionId: "",
        balance: { amountMinor: 0, currency: "" },
      });
    });

    it("charges a free order without moving money", async () => {
      const ada = await system.signUp();
      await fund(ada, 50);
      const response = await wallet.chargeForOrder({ orderId: randomUUID(), accountId: ada.userId, amount: eur(0) });
      assert.equal(response.outcome, ChargeOutcome.CHARGE_OUTCOME_CHARGED);
      assert.deepEqual(response.balance, eur(50));
    });

    it("answers INSUFFICIENT_FUNDS for another currency, and refuses a repeat of the order with other terms", async () => {
      const ada = await system.signUp();
      await fund(ada, 1000);
      const foreign = await wallet.chargeForOrder({
        orderId: randomUUID(),
        accountId: ada.userId,
        amount: { amountMinor: 10, currency: "USD" },
      });
      assert.equal(foreign.outcome, ChargeOutcome.CHARGE_OUTCOME_INSUFFICIENT_FUNDS);
      const orderId = randomUUID();
      await wallet.chargeForOrder({ orderId, accountId: ada.userId, amount: eur(10) });
      await refusedWritingNothing(
        () => wallet.chargeForOrder({ orderId, accountId: ada.userId, amount: eur(11) }),
        "failed_precondition",
        { reason: "ORDER_CHARGE_MISMATCH" },
      );
      assert.deepEqual(await balanceOf(ada), eur(990));
    });

    for (const [field, change] of [
      ["order_id", { orderId: "" }],
      ["order_id", { orderId: "o".repeat(101) }],
      ["account_id", { accountId: "escrow:EUR" }],
      ["amount", { amount: undefined }],
      ["amount.amount_minor", { amount: eur(-1) }],
      ["amount.currency", { amount: { amountMinor: 1, currency: "" } }],
    ] as const) {
      it(`names the bad field and writes nothing: ${field} ${JSON.stringify(change)}`, async () => {
        const valid = { orderId: randomUUID(), accountId: randomUUID(), amount: eur(1) };
        const request = { ...valid, ...change };
        await refusedWritingNothing(() => wallet.chargeForOrder(request), "invalid_argument", { field });
      });
    }
  });

  describe("RefundOrder", () => {
    it("gives a charged order's money back once and publishes FundsRefunded once", async () => {
      const ada = await system.signUp();
      await fund(ada, 1000);
      const orderId = randomUUID();
      await wallet.chargeForOrder({ orderId, accountId: ada.userId, amount: eur(400) });
      assert.deepEqual(await wallet.refundOrder({ orderId, reason: "ORDER_CANCELLED" }), {
        refunded: true,
        amount: eur(400),
      });
      assert.deepEqual(await balanceOf(ada), eur(1000));
      assert.deepEqual(await wallet.refundOrder({ orderId, reason: "ORDER_CANCELLED" }), {
        refunded: false,
        amount: eur(400),
      });
      assert.deepEqual(await balanceOf(ada), eur(1000));
      const refunds = await waitFor(async () => {
        const mine = (await walletEvents("funds_refunded")).filter(
          (e) => FundsRefunded.decode(e.payload).orderId === orderId,
        );
        return mine.length > 0 ? mine : undefined;
      });
      assert.equal(refunds.length, 1);
      assert.deepEqual(FundsRefunded.decode(refunds[0]!.payload).amount, eur(400));
    });

    it("refunds nothing for an order that was never charged or had insufficient funds", async () => {
      const ada = await system.signUp();
      await fund(ada, 10);
      const declined = randomUUID();
      await wallet.chargeForOrder({ orderId: declined, accountId: ada.userId, amount: eur(11) });
      assert.deepEqual(await wallet.refundOrder({ orderId: declined, reason: "INSUFFICIENT_FUNDS" }), {
        refunded: false,
        amount: undefined,
      });
      assert.deepEqual(await wallet.refundOrder({ orderId: randomUUID(), reason: "" }), {
        refunded: false,
        amount: undefined,
      });
      assert.deepEqual(await balanceOf(ada), eur(10));
    });

    it("closes an order refunded before its charge: the late charge is refused", async () => {
      const ada = await system.signUp();
      await fund(ada, 100);
      const orderId = randomUUID();
      assert.deepEqual(await wallet.refundOrder({ orderId, reason: "HOLD_EXPIRED" }), {
        refunded: false,
        amount: undefined,
      });
      await refusedWritingNothing(
        () => wallet.chargeForOrder({ orderId, accountId: ada.userId, amount: eur(10) }),
        "failed_precondition",
        { reason: "ORDER_CLOSED" },
      );
      assert.deepEqual(await balanceOf(ada), eur(100));
    });

    for (const [field, change] of [
      ["order_id", { orderId: "" }],
      ["reason", { reason: "r".repeat(201) }],
    ] as const) {
      it(`names the bad field and writes nothing: ${field}`, async () => {
        const valid = { orderId: randomUUID(), reason: "ORDER_CANCELLED" };
        await refusedWritingNothing(() => wallet.refundOrder({ ...valid, ...change }), "invalid_argument", { field });
      });
    }
  });

  describe("GetBalance", () => {
    it("shows 0 with no currency before the first deposit", async () => {
      const ada = await system.signUp();
      assert.deepEqual(await balanceOf(ada), { amountMinor: 0, currency: "" });
    });

    it("shows only the owner's own account: others are NOT_FOUND, funded or not", async () => {
      const ada = await system.signUp();
      const bob = await system.signUp();
      await fund(bob, 100);
      await rejectsWith(wallet.getBalance({ accountId: bob.userId }, as(ada)), "not_found");
      await rejectsWith(wallet.getBalance({ accountId: randomUUID() }, as(ada)), "not_found");
      await rejectsWith(wallet.getBalance({ accountId: ada.userId }), "unauthenticated");
      await rejectsWith(wallet.getBalance({ accountId: "x" }, as(ada)), "invalid_argument", { field: "account_id" });
    });
  });

  describe("GetStatement", () => {
    let ada: User;
    let everything: StatementEntry[];

    before(async () => {
      ada = await system.signUp();
      for (let i = 1; i <= 20; i++) await fund(ada, 100 * i);
      const charged = randomUUID();
      await wallet.chargeForOrder({ orderId: charged, accountId: ada.userId, amount: eur(250) });
      await wallet.chargeForOrder({ orderId: randomUUID(), accountId: ada.userId, amount: eur(50) });
      await wallet.refundOrder({ orderId: charged, reason: "ORDER_CANCELLED" });
      everything = (await wallet.getStatement({ accountId: ada.userId, pageSize: 100, pageToken: "" }, as(ada)))
        .entries;
    });

    it("lists every entry newest first, each with its running balance", async () => {
      assert.equal(everything.length, 23);
      assert.deepEqual(
        everything.slice(0, 3).map((e) => [e.kind, e.amount?.amountMinor]),
        [
          [EntryKind.ENTRY_KIND_REFUND, 250],
          [EntryKind.ENTRY_KIND_CHARGE, -50],
          [EntryKind.ENTRY_KIND_CHARGE, -250],
        ],
      );
      assert.ok(everything[0]?.orderId);
      assert.equal(everything.at(-1)?.orderId, "");
      for (let i = 0; i + 1 < everything.length; i++) {
        const newer = everything[i]!;
        const older = everything[i + 1]!;
        assert.equal(newer.balanceAfter!.amountMinor, older.balanceAfter!.amountMinor + newer.amount!.amountMinor);
        assert.ok(newer.occurredAt! >= older.occurredAt!);
      }
      assert.deepEqual(everything[0]?.balanceAfter, await balanceOf(ada));
    });

    it("pages with an opaque cursor: no duplicates, no gaps, 20 by default", async () => {
      const pages: StatementEntry[][] = [];
      let pageToken = "";
      do {
        const page = await wallet.getStatement({ accountId: ada.userId, pageSize: 10, pageToken }, as(ada));
        pages.push(page.entries);
        pageToken = page.nextPageToken;
      } while (pageToken);
      assert.deepEqual(
        pages.map((p) => p.length),
        [10, 10, 3],
      );
      assert.deepEqual(pages.flat(), everything);
      const first = await wallet.getStatement({ accountId: ada.userId, pageSize: 0, pageToken: "" }, as(ada));
      assert.equal(first.entries.length, 20);
      assert.ok(first.nextPageToken);
    });

    it("ends without a token when the last page is exactly full", async () => {
      const page = await wallet.getStatement({ accountId: ada.userId, pageSize: 23, pageToken: "" }, as(ada));
      assert.equal(page.entries.length, 23);
      assert.equal(page.nextPageToken, "");
    });

    it("is empty for an account never funded, NOT_FOUND for anyone else's", async () => {
      const bob = await system.signUp();
      assert.deepEqual(await wallet.getStatement({ accountId: bob.userId, pageSize: 5, pageToken: "" }, as(bob)), {
        entries: [],
        nextPageToken: "",
      });
      await rejectsWith(
        wallet.getStatement({ accountId: ada.userId, pageSize: 5, pageToken: "" }, as(bob)),
        "not_found",
      );
      await rejectsWith(wallet.getStatement({ accountId: ada.userId, pageSize: 5, pageToken: "" }), "unauthenticated");
    });

    for (const [field, change] of [
      ["account_id", { accountId: "nope" }],
      ["page_size", { pageSize: 101 }],
      ["page_size", { pageSize: -1 }],
      ["page_token", { pageToken: "not-a-token" }],
    ] as const) {
      it(`names the bad field: ${field} ${JSON.stringify(change)}`, async () => {
        const valid = { accountId: ada.userId, pageSize: 5, pageToken: "" };
        await rejectsWith(wallet.getStatement({ ...valid, ...change }, as(ada)), "invalid_argument", { field });
      });
    }
  });

  describe("orchestration mode (the default)", () => {
    it("consumes no saga events: inventory and orders streams have no wallet consumers", async () => {
      await system.publish(InventoryEvents.seatsReserved, randomUUID(), {
        orderId: randomUUID(),
        showId: randomUUID(),
        tierId: randomUUID(),
        quantity: 1,
        buyerId: randomUUID(),
        total: eur(10),
        organizationId: randomUUID(),
      });
      const jsm = await jetstreamManager(system.nc);
      for (const stream of ["T_INVENTORY", "T_ORDERS"]) {
        assert.deepEqual(await jsm.consumers.list(stream).next(), [], `${stream} has consumers`);
      }
    });
  });
});
