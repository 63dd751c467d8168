import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import type { OrderView } from "../src/views/order.js";
import { startBackends, startBff, type Backends, type RunningBff } from "./support/bff.js";
import { organizationOf, publishShow, type PublishedShow } from "./support/seed.js";
import { PASSWORD, signUp } from "./support/visitor.js";

/** Debian's Chromium, driven by playwright-core (no browser download). */
const CHROMIUM = "/usr/bin/chromium";
const INSTALL = "apt-get update && apt-get install -y chromium";
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe("bff-web's page in headless Chromium (real services)", function () {
  this.timeout(120_000);
  let backends: Backends;
  let bff: RunningBff;
  let browser: Browser;
  let show: PublishedShow;
  let shots: string;

  before(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: the browser test drives Debian's Chromium; install it with: ${INSTALL}`);
    }
    shots = await mkdtemp(path.join(tmpdir(), "bff-web-browser-"));
    backends = await startBackends();
    bff = await startBff(backends);
    const organizer = await signUp(bff.url, "Olga");
    show = await publishShow(organizer.visitor, await organizationOf(organizer.visitor), {
      title: "Browser Jazz Night",
      tiers: [{ name: "Standing", price: { amountMinor: 2000, currency: "EUR" }, capacity: 20 }],
    });
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
  });

  after(async () => {
    await browser?.close();
    await bff?.stop();
    await backends?.stop();
    if (shots) await rm(shots, { recursive: true, force: true });
  });

  it("signs up, tops up, opens a show, buys, and watches the order get Confirmed with its ticket code", async () => {
    const context = await browser.newContext({ locale: "en-US" });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(error.message));

    // The balance read the page starts on signing in answers only after the top-up has: a stale
    // €0.00 must not replace the €50.00 the top-up showed (seen once in CI before the page ordered them).
    const toppedUp = page.waitForResponse((response) => response.url().endsWith("/api/wallet/deposits"));
    let staleBalanceDelivered: Promise<void> | undefined;
    await page.route("**/api/wallet?pageSize=1", async (route) => {
      if (staleBalanceDelivered) return route.continue();
      staleBalanceDelivered = (async () => {
        const stale = await route.fetch();
        await toppedUp;
        await route.fulfill({ response: stale });
      })();
      await staleBalanceDelivered;
    });

    await page.goto(bff.url);
    // Every balance the page shows, in order (a string: this package's types have no DOM).
    await page.evaluate(`{
      const balance = document.getElementById("balance");
      window.balancesShown = [];
      new MutationObserver(() => window.balancesShown.push(balance.textContent)).observe(balance, {
        childList: true, characterData: true, subtree: true,
      });
    }`);
    const signUpForm = page.locator("#signup-form");
    await signUpForm.getByLabel("Email").fill(`browser.${Date.now()}@example.com`);
    await signUpForm.getByLabel("Display name").fill("Brie");
    await signUpForm.getByLabel("Password").fill(PASSWORD);
    await signUpForm.getByRole("button", { name: "Sign up" }).click();
    await page.getByText("Signed in as Brie").waitFor();

    await page.getByRole("button", { name: "Top up €50" }).click();
    await page.locator("#balance", { hasText: "€50.00" }).waitFor();
    await staleBalanceDelivered;

    await page.getByRole("button", { name: `Open ${show.title}` }).click();
    await page.getByRole("heading", { name: show.title }).waitFor();
    await page.getByRole("cell", { name: "20", exact: true }).waitFor(); // live availability of the one tier
    await page.getByLabel("Quantity").fill("2");
    await page.getByRole("button", { name: "Buy" }).click();

    await page.locator("#order-status", { hasText: "Confirmed" }).waitFor({ timeout: 20_000 });
    const codes = await page.locator("#ticket-codes li").allTextContents();
    assert.equal(codes.length, 2);
    assert.ok(
      codes.every((code) => code.trim().length >= 6),
      codes.join(","),
    );

    // What the page shows is what the API says the order holds (same cookie session, from the page).
    const orders = await page.evaluate(async () => {
      const response = await fetch("/api/orders", { credentials: "same-origin" });
      return ((await response.json()) as { orders: { status: string; tickets: { ticketCode: string }[] }[] }).orders;
    });
    const bought = orders[0] as Pick<OrderView, "status" | "tickets"> | undefined;
    assert.equal(bought?.status, "CONFIRMED");
    assert.deepEqual(bought.tickets.map((t) => t.ticketCode).sort(), codes.map((c) => c.trim()).sort());
    await page.locator("#balance", { hasText: "€10.00" }).waitFor();
    await page.locator("#my-tickets li").first().waitFor();
    await page.getByRole("cell", { name: "18", exact: true }).waitFor(); // the stock, refreshed once settled
    const balancesShown = ((await page.evaluate("window.balancesShown")) as string[]).filter(
      (shown, i, all) => shown !== all[i - 1],
    );
    assert.deepEqual(
      balancesShown.slice(balancesShown.indexOf("€50.00")),
      ["€50.00", "€10.00"],
      balancesShown.join(" → "),
    );

    const file = path.join(shots, "confirmed.png");
    await page.screenshot({ path: file, fullPage: true });
    const png = await readFile(file);
    assert.ok(png.length > 1_000, `screenshot is ${png.length} bytes`);
    assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);

    assert.deepEqual(problems, [], "no script errors or CSP violations in the console");
    await context.close();
  });

  it("logs in again after logging out, and keeps the session cookie away from scripts", async () => {
    const { email } = await signUp(bff.url, "Lou");
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(bff.url);
    const logIn = page.locator("#login-form");
    await logIn.getByLabel("Email").fill(email);
    await logIn.getByLabel("Password").fill(PASSWORD);
    await logIn.getByRole("button", { name: "Log in" }).click();
    await page.getByText("Signed in as Lou").waitFor();
    const visible = String(await page.evaluate("document.cookie"));
    assert.match(visible, /mq_csrf=/);
    assert.doesNotMatch(visible, /mq_session/, "the session cookie is httpOnly");
    await page.getByRole("button", { name: "Log out" }).click();
    await page.locator("#login-form").waitFor();
    assert.equal((await context.cookies()).length, 0);
    await context.close();
  });
});
