import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { ActionOutcome, type AuditRecord } from "@marquee/proto/marquee/admin/v1/audit";
import { actorOf, resultOf, wasApplied, type AuditLog } from "./audit.js";

describe("the audit log's actor and results", () => {
  it("names the operator certificate 'operator', and a console's operator user 'user:<id>'", () => {
    assert.equal(actorOf({ requestId: "r", caller: "operator" }), "operator");
    const principal = { kind: "user" as const, userId: "u-7", roles: {}, operator: true };
    assert.equal(actorOf({ requestId: "r", caller: "bff-ops", principal }), "user:u-7");
    // The certificate holder is the person, whatever token rides along.
    assert.equal(actorOf({ requestId: "r", caller: "operator", principal }), "operator");
  });

  it("never names anything else an operator: a workload's call, work outside a request", () => {
    assert.equal(actorOf({ requestId: "r", caller: "orders" }), "workload:orders");
    assert.equal(actorOf(undefined), "system");
    const partner = { kind: "partner" as const, userId: "p-1", roles: {} };
    assert.equal(actorOf({ requestId: "r", caller: "bff-partner", principal: partner }), "workload:bff-partner");
  });

  it("finds an earlier applied action on a target, across pages, ignoring failed and other actions", async () => {
    const record = (sequence: number, action: string, result: string): AuditRecord => ({
      sequence,
      actor: "operator",
      service: "s",
      action,
      target: "dead-letter:4",
      reason: "r",
      result,
    });
    const all = [
      record(1, "dead-letter.discard", "applied"),
      ...Array.from({ length: 450 }, (_, i) => record(i + 2, "dead-letter.redrive", "NOT_FOUND: x")),
    ].reverse();
    const log: AuditLog = {
      perform: () => Promise.reject(new Error("not used")),
      list: ({ pageSize, beforeSequence }) => {
        const older = all.filter((r) => !beforeSequence || r.sequence < beforeSequence);
        const records = older.slice(0, pageSize);
        const more = older.length > pageSize;
        return Promise.resolve({ records, nextBeforeSequence: more ? (records.at(-1)?.sequence ?? 0) : 0 });
      },
    };
    assert.equal(await wasApplied(log, "dead-letter:4", ["dead-letter.discard"]), true);
    assert.equal(await wasApplied(log, "dead-letter:4", ["dead-letter.redrive"]), false);
    assert.equal(resultOf(ActionOutcome.ACTION_OUTCOME_ALREADY_DONE), "already-done");
  });
});
