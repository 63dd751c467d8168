import assert from "node:assert/strict";
import { describe, it } from "mocha";
import { DomainError } from "./errors.js";
import { createLogger } from "./logger.js";
import { accountKey, addressKey, SignInLimits } from "./sign-in-limits.js";

const limits = () =>
  SignInLimits.create(
    { perAddress: { points: 4, windowSeconds: 60 }, perAccount: { points: 2, windowSeconds: 900 }, keyPrefix: "t" },
    createLogger("bff-web", "silent"),
  );

const wrongPassword = () => Promise.reject(new DomainError("unauthenticated", "email or password is wrong"));
const serviceDown = () => Promise.reject(new DomainError("unavailable", "accounts is down"));

async function outcome(run: Promise<unknown>): Promise<string> {
  try {
    await run;
    return "ok";
  } catch (error) {
    return error instanceof DomainError ? error.kind : String(error);
  }
}

describe("sign-in limits (in memory)", () => {
  it("refuses an account's attempt past its failures, with a retry time, before asking anyone", async () => {
    const limiter = limits();
    const attempt = { address: "192.0.2.1", email: "ada@example.com", kind: "sign-in" as const };
    assert.equal(await outcome(limiter.attempt(attempt, wrongPassword)), "unauthenticated");
    assert.equal(await outcome(limiter.attempt(attempt, wrongPassword)), "unauthenticated");
    let asked = false;
    const refused = await limiter
      .attempt(attempt, async () => {
        asked = true;
      })
      .catch((error: unknown) => error);
    assert.ok(refused instanceof DomainError);
    assert.equal(refused.kind, "resource_exhausted");
    assert.equal(refused.reason, "TOO_MANY_ATTEMPTS");
    assert.ok(refused.retryAfterMs! > 899_000 && refused.retryAfterMs! <= 900_000, String(refused.retryAfterMs));
    assert.equal(asked, false);
  });

  it("a success starts the account afresh and does not count against the address", async () => {
    const limiter = limits();
    const attempt = { address: "192.0.2.2", email: "bob@example.com", kind: "sign-in" as const };
    // Six attempts from an address allowed four: its three failures count, its successes do not.
    for (let round = 0; round < 3; round++) {
      assert.equal(await outcome(limiter.attempt(attempt, wrongPassword)), "unauthenticated");
      assert.equal(await outcome(limiter.attempt(attempt, async () => "signed in")), "ok");
    }
  });

  it("an attempt that was not a guess (a service down, a bad request) is not counted", async () => {
    const limiter = limits();
    const attempt = { address: "192.0.2.3", email: "cy@example.com", kind: "sign-in" as const };
    for (let round = 0; round < 6; round++)
      assert.equal(await outcome(limiter.attempt(attempt, serviceDown)), "unavailable");
    assert.equal(await outcome(limiter.attempt(attempt, wrongPassword)), "unauthenticated");
  });

  it("counts every failed attempt from one address, whatever the email; sign-ups count even when they succeed", async () => {
    const limiter = limits();
    const from = (email: string, kind: "sign-in" | "sign-up" = "sign-in") => ({ address: "192.0.2.4", email, kind });
    assert.equal(await outcome(limiter.attempt(from("a@example.com"), wrongPassword)), "unauthenticated");
    assert.equal(await outcome(limiter.attempt(from("b@example.com"), wrongPassword)), "unauthenticated");
    assert.equal(await outcome(limiter.attempt(from("c@example.com", "sign-up"), async () => "created")), "ok");
    assert.equal(await outcome(limiter.attempt(from("d@example.com", "sign-up"), async () => "created")), "ok");
    assert.equal(await outcome(limiter.attempt(from("e@example.com"), async () => "ok")), "resource_exhausted");
    const elsewhere = { address: "192.0.2.5", email: "e@example.com", kind: "sign-in" as const };
    assert.equal(await outcome(limiter.attempt(elsewhere, async () => "ok")), "ok", "the account itself is fine");
  });

  it("a refusal by one limit costs the other nothing", async () => {
    const limiter = limits();
    const locked = { address: "192.0.2.6", email: "locked@example.com", kind: "sign-in" as const };
    await limiter.attempt(locked, wrongPassword).catch(() => undefined);
    await limiter.attempt(locked, wrongPassword).catch(() => undefined);
    for (let round = 0; round < 5; round++) {
      assert.equal(await outcome(limiter.attempt(locked, async () => "ok")), "resource_exhausted");
    }
    const sameAddress = { ...locked, email: "free@example.com" };
    assert.equal(await outcome(limiter.attempt(sameAddress, wrongPassword)), "unauthenticated", "address points kept");
  });
});

describe("sign-in limits when Redis does not answer", () => {
  it("count in this process's memory instead of failing or letting everything through", async () => {
    const limiter = SignInLimits.create(
      {
        perAddress: { points: 100, windowSeconds: 60 },
        perAccount: { points: 2, windowSeconds: 900 },
        redisUrl: "redis://127.0.0.1:1",
        keyPrefix: "t",
      },
      createLogger("bff", "silent"),
    );
    try {
      await limiter.ready(200);
      const attempt = { address: "192.0.2.9", email: "down@example.com", kind: "sign-in" as const };
      assert.equal(await outcome(limiter.attempt(attempt, wrongPassword)), "unauthenticated");
      assert.equal(await outcome(limiter.attempt(attempt, wrongPassword)), "unauthenticated");
      assert.equal(await outcome(limiter.attempt(attempt, wrongPassword)), "resource_exhausted");
    } finally {
      limiter.close();
    }
  });
});

describe("what the limits count", () => {
  it("an account is its email as accounts compares it, hashed", () => {
    assert.equal(accountKey(" Ada@Example.COM "), accountKey("ada@example.com"));
    assert.notEqual(accountKey("ada@example.com"), accountKey("bob@example.com"));
    assert.doesNotMatch(accountKey("ada@example.com"), /ada/);
  });

  it("an address is an IPv4 address, or an IPv6 address's /64", () => {
    assert.equal(addressKey("192.0.2.7"), "192.0.2.7");
    assert.equal(addressKey("::ffff:192.0.2.7"), "192.0.2.7");
    assert.equal(addressKey("2001:db8:0:1:aaaa::1"), "2001:db8:0:1::/64");
    assert.equal(addressKey("2001:DB8:0:1:bbbb:cccc:dddd:eeee"), "2001:db8:0:1::/64");
    assert.equal(addressKey("2001:db8::1"), "2001:db8:0:0::/64");
    assert.equal(addressKey("::1"), "0:0:0:0::/64");
    assert.equal(addressKey("fe80::1%eth0"), "fe80:0:0:0::/64");
  });
});
