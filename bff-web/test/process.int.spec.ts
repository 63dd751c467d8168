import { before, describe, it } from "mocha";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "@marquee/platform/testing/server-process";
import { testTlsDir } from "@marquee/platform/testing/tls";
import { waitFor } from "@marquee/platform/testing/wait";

/** dist/src/main.js, from dist/test/. */
const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "src", "main.js");

let tlsDir: string | undefined;

function run(env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [MAIN], {
    // Its certificate for calls to the services (the test CA's bff-web), unless a test says otherwise.
    env: { PATH: process.env.PATH, TLS_DIR: tlsDir, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, "close") as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

describe("bff-web as a process (dist/src/main.js)", function () {
  this.timeout(30_000);

  before(async () => {
    tlsDir = await testTlsDir("bff-web");
  });

  it("refuses a bad configuration at once: exit 1, one message naming every bad variable, no stack trace", async () => {
    const proc = run({
      PORT: "http",
      CORS_ORIGINS: "https://ok.example,not an origin",
      COMPOSE_DEADLINE_MS: "-5",
      COOKIE_SECURE: "maybe",
      CSRF_SECRET: "short",
      ORDERS_ADDR: "nowhere",
    });
    const [code] = await proc.exited;
    assert.equal(code, 1);
    const message = proc.stderr();
    assert.match(message, /^bff-web: invalid configuration:/);
    for (const variable of [
      "PORT",
      "CORS_ORIGINS",
      "COMPOSE_DEADLINE_MS",
      "COOKIE_SECURE",
      "CSRF_SECRET",
      "ORDERS_ADDR",
    ]) {
      assert.match(message, new RegExp(`- ${variable}: `), `${variable} named in:\n${message}`);
    }
    assert.doesNotMatch(message, /\bat .+\.js:\d+/, "no stack trace");
  });

  it("serves the page and its probes, and stops cleanly on SIGTERM (exit 0, logs 'stopped')", async () => {
    const port = await freePort();
    const nowhere = "127.0.0.1:1";
    const proc = run({
      PORT: String(port),
      LOG_LEVEL: "info",
      ...Object.fromEntries(
        ["ACCOUNTS", "CATALOG", "INVENTORY", "WALLET", "ORDERS", "QUERY"].map((s) => [`${s}_ADDR`, nowhere]),
      ),
    });
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitFor(async () => (await fetch(`${base}/readyz`)).ok, { timeoutMs: 10_000, message: "bff-web /readyz" });
      const page = await fetch(base);
      assert.equal(page.status, 200);
      assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
      assert.match(await page.text(), /<h1>Marquee<\/h1>/);
      const home = await fetch(`${base}/api/home`);
      assert.equal(home.status, 503, "catalog is unreachable: a problem, not a crash");
      assert.equal(home.headers.get("content-type"), "application/problem+json");
    } finally {
      proc.child.kill("SIGTERM");
    }
    const [code] = await proc.exited;
    assert.equal(code, 0, proc.stderr());
    const messages = proc
      .stdout()
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { msg?: string }).msg);
    assert.ok(messages.includes("stopped"), messages.join(" | "));
  });
});
