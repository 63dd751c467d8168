import assert from "node:assert/strict";
import { describe, it } from "mocha";
import { judgeUnspendable, refreshTokenExpiry, sessionExpiry, type RefreshTokenState } from "./session.js";

const now = new Date("2030-01-01T12:00:00Z");
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);
const later = (seconds: number) => new Date(now.getTime() + seconds * 1000);
const policy = { refreshTokenTtlSeconds: 3_600, sessionMaxAgeSeconds: 86_400, reuseGraceSeconds: 10 };

const token = (changes: Partial<RefreshTokenState> = {}): RefreshTokenState => ({
  sessionId: "s1",
  userId: "u1",
  expiresAt: later(60),
  usedAt: undefined,
  sessionExpiresAt: later(3_600),
  sessionRevokedAt: undefined,
  ...changes,
});

describe("refresh tokens that could not be spent", () => {
  it("an unknown token, or one of a revoked or expired session, has simply ended", () => {
    assert.deepEqual(judgeUnspendable(undefined, now, policy), { kind: "ended" });
    assert.deepEqual(judgeUnspendable(token({ sessionRevokedAt: ago(5) }), now, policy), { kind: "ended" });
    assert.deepEqual(judgeUnspendable(token({ usedAt: ago(60), sessionRevokedAt: ago(5) }), now, policy), {
      kind: "ended",
    });
    assert.deepEqual(judgeUnspendable(token({ sessionExpiresAt: now }), now, policy), { kind: "ended" });
    assert.deepEqual(judgeUnspendable(token({ expiresAt: ago(1) }), now, policy), { kind: "ended" });
  });

  it("a token spent within the grace period lost a race: refused, the session kept", () => {
    assert.deepEqual(judgeUnspendable(token({ usedAt: ago(9.9) }), now, policy), { kind: "race" });
  });

  it("a token spent longer ago is reuse: the session is to be revoked", () => {
    assert.deepEqual(judgeUnspendable(token({ usedAt: ago(10) }), now, policy), { kind: "reuse", sessionId: "s1" });
    assert.deepEqual(judgeUnspendable(token({ usedAt: now }), now, { reuseGraceSeconds: 0 }), {
      kind: "reuse",
      sessionId: "s1",
    });
  });
});

describe("refresh token lifetimes", () => {
  it("a token lives its own lifetime, never past its session's end", () => {
    assert.deepEqual(refreshTokenExpiry(now, later(86_400), policy), later(3_600));
    assert.deepEqual(refreshTokenExpiry(now, later(100), policy), later(100));
    assert.deepEqual(sessionExpiry(now, policy), later(86_400));
  });
});
