import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { bearer } from "@marquee/platform";
import { waitFor } from "@marquee/platform/testing/wait";
import { OrderStatus } from "@marquee/proto/marquee/orders/v1/orders_service";
import { PASSWORD, type Organization, type Person, type Visitor } from "@marquee/system-testing";
import { buyerSession, logIn, newOperator, startConsole, type Console } from "./support/console.js";

/** Debian's Chromium, driven by playwright-core (no browser download). */
const CHROMIUM = "/usr/bin/chromium";
const INSTALL = "apt-get update && apt-get install -y chromium";
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Inventory's consumer of catalog's events: the poison switch makes it fail every event. */
const POISONED = "inventory-on-catalog";
const PARK_REASON = "wallet database failing over; hold the purchase";
const RETRY_REASON = "wallet database is back after the failover";
const REDRIVE_REASON = "inventory redeployed with the catalog handler fixed";

interface SagaList {
  sagas: { orderId: string; kind: string; state: string; attempts: number }[];
}
interface Timeline {
  steps: { step: string; attempt: number; outcome: string }[];
}
interface DeadLetterList {
  deadLetters: { service: string; sequence: number; eventType: string; eventId: string; payload: unknown }[];
}

describe("bff-ops' console in headless Chromium (real services)", function () {
  this.timeout(120_000);
  let ops: Console;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let operator: Person;
  let api: Visitor;
  let org: Organization;
  let shots: string;
  const problems: string[] = [];

  before(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: the browser test drives Debian's Chromium; install it with: ${INSTALL}`);
    }
    shots = await mkdtemp(path.join(tmpdir(), "bff-ops-browser-"));
    ops = await startConsole({
      proxiedPostgres: ["wallet"],
      env: {
        // Only inventory has a consumer of this name; the others are unaffected by the switch.
        MARQUEE_FAIL_CONSUMER: POISONED,
        CONSUMER_MAX_DELIVER: "2",
        CONSUMER_RETRY_DELAY_MS: "50",
      },
    });
    operator = await newOperator(ops.market);
    api = await logIn(ops.url, operator);
    org = await ops.market.organization();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    context = await browser.newContext({ locale: "en-GB", viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(error.message));
  });

  after(async () => {
    await browser?.close();
    await ops?.stop();
    if (shots) await rm(shots, { recursive: true, force: true });
  });

  it("turns a buyer away with 403, in the page and at every API route it calls", async () => {
    const buyer = await ops.market.signUp("Bruno");
    const buyerContext = await browser.newContext();
    const buyerPage = await buyerContext.newPage();
    await buyerPage.goto(ops.url);
    const form = buyerPage.locator("#login-form");
    await form.getByLabel("Email").fill(buyer.email);
    await form.getByLabel("Password").fill(PASSWORD);
    await form.getByRole("button", { name: "Log in" }).click();
    await buyerPage.getByText("the operations console is for operators only").waitFor();
    assert.equal(await buyerPage.locator("#console-nav").isVisible(), false);
    assert.equal((await buyerContext.cookies()).length, 0, "no session for a buyer");

    // A buyer holding a session of their own in the console's cookies: the page says 403, every call is 403.
    const session = await buyerSession(ops.url, ops.market);
    const cookies = [...session.cookies, ["mq_ops_csrf", "a-token-of-no-use"]];
    await buyerContext.addCookies(cookies.map(([name = "", value = ""]) => ({ name, value, url: ops.url })));
    await buyerPage.goto(`${ops.url}/#sagas`);
    await buyerPage.getByText("the operations console is for operators only").waitFor();
    const statuses = await buyerPage.evaluate(async () => {
      const paths = ["/api/overview", "/api/sagas", "/api/dead-letters", "/api/projections", "/api/audit"];
      return Promise.all(paths.map(async (p) => (await fetch(p, { credentials: "same-origin" })).status));
    });
    assert.deepEqual(statuses, [403, 403, 403, 403, 403]);
    await buyerContext.close();
  });

  it("shows a poison event in dead letters, decoded, and redrives it once after the fix", async () => {
    await signIn();
    const title = `Poisoned Premiere ${Date.now()}`;
    const show = await publishWithoutWaiting(title, 20);
    const letter = await waitFor(
      async () => {
        const list = await api.get<DeadLetterList>("/api/dead-letters?service=inventory");
        return list.body.deadLetters.find((l) => JSON.stringify(l.payload).includes(title));
      },
      { timeoutMs: 20_000, message: "the ShowPublished event to be dead-lettered by inventory" },
    );

    await page.getByRole("link", { name: "Dead letters" }).click();
    const card = page.getByRole("listitem", { name: `Dead letter inventory/${letter.sequence}` });
    await card.waitFor();
    await card.locator("dd.error", { hasText: `poison switch: ${POISONED}` }).waitFor(); // the handler's error
    assert.match(await card.locator("pre.payload").innerText(), new RegExp(title)); // decoded from protobuf
    await card.getByText("Headers").click();
    const headers = JSON.parse(await card.locator("pre").nth(1).innerText()) as Record<string, string>;
    assert.ok(Object.values(headers).includes(letter.eventId), JSON.stringify(headers)); // the event id travels in a header
    await shot("dead-letter");

    // The fix deployed: inventory restarted without the switch.
    await ops.system.service("inventory").restart({ MARQUEE_FAIL_CONSUMER: "" });
    await card.getByRole("button", { name: "Redrive" }).click();
    const redriven = page.waitForResponse((r) => r.url().endsWith(`/inventory/${letter.sequence}/redrive`));
    await page.getByLabel("Reason").fill(REDRIVE_REASON);
    await page.getByRole("button", { name: "Confirm" }).click();
    assert.equal(((await (await redriven).json()) as { outcome: string }).outcome, "APPLIED");
    await page.getByText("No dead letters.").waitFor();

    // Applied once: the show is on sale with exactly its capacity, and a second redrive finds it done.
    const stock = await ops.market.availability({ showId: show.showId, tierId: show.tierId });
    assert.equal(stock?.capacity, 20);
    const again = await api.post<{ outcome: string }>(`/api/dead-letters/inventory/${letter.sequence}/redrive`, {
      reason: REDRIVE_REASON,
    });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.outcome, "ALREADY_DONE");
    const after = await ops.market.availability({ showId: show.showId, tierId: show.tierId });
    assert.equal(after?.capacity, 20);
    assert.equal(after?.available, 20);
  });

  it("shows a purchase stuck on wallet's database with its timeline, and confirms it with retry now", async () => {
    const show = await ops.market.publishShow(org, { tiers: [{ name: "Standing", priceMinor: 2_000, capacity: 10 }] });
    const buyer = await ops.market.buyer(10_000);
    await ops.system.proxy("wallet").pause();
    const placed = await ops.market.buy(buyer, show, 2);
    // Stuck: retrying, and the charge's failed attempts recorded (each run's steps are written when it ends).
    await waitFor(
      async () => {
        const { body } = await api.get<SagaList>("/api/sagas?state=RETRYING");
        if (!body.sagas.some((s) => s.orderId === placed.orderId)) return false;
        const timeline = await api.get<Timeline>(`/api/sagas/${placed.orderId}`);
        return timeline.body.steps.filter((step) => step.outcome === "FAILED").length >= 2;
      },
      { timeoutMs: 30_000, message: "the purchase's saga to be retrying after two failed charges" },
    );

    await page.getByRole("link", { name: "Sagas" }).click();
    await page.getByLabel("State").selectOption("RETRYING");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.getByRole("link", { name: placed.orderId }).click();
    const timeline = page.getByRole("img", { name: new RegExp(`Saga timeline of order ${placed.orderId}`) });
    await timeline.waitFor();
    const failed = timeline.locator("g.attempt.failed");
    assert.ok((await failed.count()) >= 2, "failed attempts are marked");
    assert.equal(await failed.first().locator("text.mark").textContent(), "✕");
    const tooltip = (await failed.first().locator("title").textContent()) ?? "";
    assert.match(tooltip, /charge/i);
    assert.match(tooltip, /error: /);
    assert.match(tooltip, /trace id: [0-9a-f]{32}/);
    assert.equal(await page.locator("#saga-order-status").textContent(), "PENDING");
    await shot("stuck-saga");

    // Parked while the database is away (no automatic run can confirm it first): only "retry now" will.
    await act("Fail", PARK_REASON, `/api/sagas/${placed.orderId}/fail`);
    await page.locator("#saga-state", { hasText: "FAILED" }).waitFor();
    // A run that had started before the park finishes on its own: wait until every run started has
    // recorded its steps, so none is left to complete the purchase once the database is back.
    await waitFor(
      async () => {
        const { body } = await api.get<SagaList>("/api/sagas?state=FAILED");
        const parked = body.sagas.find((s) => s.orderId === placed.orderId && s.kind === "PURCHASE");
        const timeline = await api.get<Timeline>(`/api/sagas/${placed.orderId}`);
        return parked && new Set(timeline.body.steps.map((step) => step.attempt)).size === parked.attempts;
      },
      { timeoutMs: 15_000, message: "the parked saga's last run to have ended" },
    );
    await ops.system.proxy("wallet").resume();
    await act("Retry now", RETRY_REASON, `/api/sagas/${placed.orderId}/retry`);
    const settled = await ops.market.settled(buyer, placed.orderId);
    assert.equal(settled.status, OrderStatus.ORDER_STATUS_CONFIRMED);
    await page.reload();
    await page.locator("#saga-order-status", { hasText: "CONFIRMED" }).waitFor();
    assert.equal(await ops.market.balance(buyer), 10_000 - 4_000);

    // The same order as it was, at the moment inventory held its seats (before the charge): PENDING,
    // seats held, nothing charged; at the last moment CONFIRMED, charged and sold.
    await page.goto(`${ops.url}/#order/${placed.orderId}`);
    const slider = page.getByLabel("Moment");
    await slider.waitFor();
    const marks = (await page.locator("#diff-from option").allTextContents()).map((m) => m.trim());
    const held = marks.findIndex((m) => m.startsWith("inventory: seats HELD"));
    const charged = marks.findIndex((m) => m.startsWith("wallet: CHARGE"));
    assert.ok(held > 0 && charged > held, marks.join(" | "));
    await slider.fill(String(held));
    await page.locator("#order-moment", { hasText: "inventory: seats HELD" }).waitFor();
    await page.locator("#order-status", { hasText: "PENDING" }).waitFor();
    await page.locator("#order-seats", { hasText: "HELD" }).waitFor();
    await page.locator("#order-charged", { hasText: "€0.00" }).waitFor();
    await shot("order-as-of-held");
    await slider.fill(String(marks.length - 1));
    await page.locator("#order-status", { hasText: "CONFIRMED" }).waitFor();
    await page.locator("#order-seats", { hasText: "SOLD" }).waitFor();
    await page.locator("#order-charged", { hasText: "€40.00" }).waitFor();
    await page.locator("#diff-from").selectOption({ index: held });
    await page.getByRole("button", { name: "Compare" }).click();
    const diff = page.getByRole("list", { name: "What changed" });
    await diff.getByText("Status: PENDING → CONFIRMED").waitFor();
    await diff
      .getByText(/Ledger entry added: CHARGE/)
      .first()
      .waitFor();
    await diff.getByText("Seats: HELD (2) → SOLD (2)").waitFor();
  });

  it("lists the actions in the audit log with their reasons, newest first", async () => {
    await page.goto(`${ops.url}/#audit`);
    const retry = page.getByRole("row").filter({ hasText: "saga.retry" }).filter({ hasText: RETRY_REASON });
    const redrive = page
      .getByRole("row")
      .filter({ hasText: "dead-letter.redrive" })
      .filter({ hasText: REDRIVE_REASON });
    const park = page.getByRole("row").filter({ hasText: "saga.fail" }).filter({ hasText: PARK_REASON });
    await retry.first().waitFor();
    await redrive.first().waitFor();
    await park.first().waitFor();
    // Each applied once; the second redrive (the API test above) is there too, found already done.
    assert.equal(await retry.filter({ hasText: "applied" }).filter({ hasText: "orders" }).count(), 1);
    assert.equal(await redrive.filter({ hasText: "applied" }).filter({ hasText: "inventory" }).count(), 1);
    assert.equal(await redrive.filter({ hasText: "already-done" }).count(), 1);
    const rows = await page.locator("#audit-rows tr").allInnerTexts();
    const newest = (action: string) => rows.findIndex((r) => r.includes(action));
    assert.ok(newest("saga.retry") < newest("saga.fail"), "newest first: the retry came after the park");
    assert.ok(newest("saga.fail") < newest("dead-letter.redrive"), "newest first: the park came after the redrive");
    await shot("audit-log");
    assert.deepEqual(problems, [], "no script errors or CSP violations in the console");
  });

  /** Clicks an action's button, gives the reason the console asks for, and checks that it was applied. */
  async function act(button: string, reason: string, path: string): Promise<void> {
    await page.getByRole("button", { name: button, exact: true }).click();
    const answered = page.waitForResponse((r) => r.url().endsWith(path) && r.request().method() === "POST");
    await page.getByLabel("Reason").fill(reason);
    await page.getByRole("button", { name: "Confirm" }).click();
    const answer = await answered;
    assert.equal(answer.status(), 200, await answer.text());
    assert.equal(((await answer.json()) as { outcome: string }).outcome, "APPLIED", `${button}: ${path}`);
  }

  /** Logs the operator in through the page (once). */
  async function signIn(): Promise<void> {
    if (await page.locator("#console-nav").isVisible()) return;
    await page.goto(ops.url);
    const form = page.locator("#login-form");
    await form.getByLabel("Email").fill(operator.email);
    await form.getByLabel("Password").fill(PASSWORD);
    await form.getByRole("button", { name: "Log in" }).click();
    await page.getByText("Signed in as Oscar").waitFor();
    await page.getByRole("rowheader", { name: "wallet" }).waitFor(); // the live overview
  }

  /** A show created and published at catalog, without waiting for inventory (which is poisoned). */
  async function publishWithoutWaiting(title: string, capacity: number) {
    const metadata = bearer(org.organizer.token);
    const { show } = await ops.market.catalog.createShow(
      {
        organizationId: org.organizationId,
        title,
        description: "A premiere",
        venue: { name: "Blue Room", city: "Lisbon", address: "Rua Augusta 1" },
        startsAt: new Date(Date.now() + 30 * 86_400_000),
        tags: ["jazz"],
        tiers: [
          {
            tierId: "",
            name: "Standing",
            price: { amountMinor: 2_000, currency: "EUR" },
            capacity,
            description: "",
          },
        ],
      },
      { metadata },
    );
    assert.ok(show);
    await ops.market.catalog.publishShow({ showId: show.showId }, { metadata });
    return { showId: show.showId, tierId: show.tiers[0]!.tierId };
  }

  /** A full-page screenshot, checked as bff-web's are: a PNG of some size. */
  async function shot(name: string): Promise<void> {
    const file = path.join(shots, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    const png = await readFile(file);
    assert.ok(png.length > 1_000, `${name}: screenshot is ${png.length} bytes`);
    assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
  }
});
