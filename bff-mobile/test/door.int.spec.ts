import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { waitFor } from "@marquee/platform/testing/wait";
import { startBackends, startBff, type Backends, type RunningBff } from "./support/bff.js";
import { client, type Client, type Reply } from "./support/http.js";
import {
  marketplace,
  type Marketplace,
  type Organization,
  type Person,
  type PublishedShow,
} from "@marquee/system-testing";

interface TicketItem {
  code: string;
  order: string;
  usedAt: string | null;
}

interface CheckedIn {
  code: string;
  order: string;
  show: string;
  name: string;
  usedAt: string;
}

function assertProblem(reply: Reply, status: number): Record<string, unknown> {
  assert.equal(reply.status, status, reply.text);
  assert.match(reply.header("content-type") ?? "", /^application\/problem\+json/);
  const problem = reply.json();
  assert.equal(problem.status, status);
  assert.equal(problem.requestId, reply.header("x-request-id"));
  return problem;
}

describe("bff-mobile: door check-in", function () {
  this.timeout(120_000);
  let backends: Backends;
  let bff: RunningBff;
  let http: Client;
  let market: Marketplace;
  let org: Organization;
  let show: PublishedShow;
  let door: Person;
  let otherDoor: Person;
  let buyer: Person;
  let tickets: TicketItem[];

  const scan = (person: Person | undefined, ticketCode: unknown) =>
    http("/v1/check-ins", { method: "POST", ...(person ? { token: person.token } : {}), body: { ticketCode } });

  before(async () => {
    backends = await startBackends();
    bff = await startBff(backends);
    http = client(bff.url);
    market = marketplace(backends);
    org = await market.organization("Night Owls");
    show = await market.publishShow(org);
    door = await market.doorStaff(org);
    const otherOrg = await market.organization("Other Venue");
    otherDoor = await market.doorStaff(otherOrg);

    buyer = await market.signUp("Bea");
    await market.fund(buyer, 10_000);
    const placed = await http("/v1/orders", {
      method: "POST",
      token: buyer.token,
      headers: { "idempotency-key": randomUUID() },
      body: { showId: show.showId, tierId: show.tierIds[0], quantity: 3, attendeeNames: ["Bea", "Cy"] },
    });
    assert.equal(placed.status, 202, placed.text);
    tickets = await waitFor(
      async () => {
        const items = (await http("/v1/tickets?fields=code,order,usedAt", { token: buyer.token })).json<{
          items: TicketItem[];
        }>().items;
        return items.length === 3 ? items : undefined;
      },
      { timeoutMs: 20_000, message: "the tickets to be issued" },
    );
  });

  after(async () => {
    await bff?.stop();
    await backends?.stop();
  });

  it("door staff of the show's organization check a ticket in; the buyer sees it used", async () => {
    const ticket = tickets[0]!;
    const reply = await scan(door, ticket.code);
    assert.equal(reply.status, 200, reply.text);
    const body = reply.json<CheckedIn>();
    assert.deepEqual(body, {
      code: ticket.code,
      order: ticket.order,
      show: show.showId,
      name: "Bea",
      usedAt: body.usedAt,
    });
    assert.ok(Math.abs(Date.parse(body.usedAt) - Date.now()) < 60_000);
    const mine = (await http("/v1/tickets?fields=code,usedAt", { token: buyer.token })).json<{ items: TicketItem[] }>();
    assert.deepEqual(
      mine.items.find((item) => item.code === ticket.code),
      { code: ticket.code, usedAt: body.usedAt },
    );
  });

  it("a second scan is a 409 ALREADY_CHECKED_IN saying when the ticket was used", async () => {
    const ticket = tickets[1]!;
    const first = (await scan(door, ticket.code)).json<CheckedIn>();
    const second = await scan(door, ticket.code);
    const problem = assertProblem(second, 409);
    assert.equal(problem.reason, "ALREADY_CHECKED_IN");
    assert.equal(problem.checkedInAt, first.usedAt);
    assert.equal(problem.instance, "/v1/check-ins");
    assert.match(String(problem.detail), /already checked in/);
  });

  it("accepts the code as people type it (lower case, dashes, spaces)", async () => {
    const code = tickets[2]!.code;
    const typed = ` ${code.slice(0, 4)}-${code.slice(4, 8)} ${code.slice(8)} `.toLowerCase();
    const reply = await scan(door, typed);
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json<CheckedIn>().code, code);
  });

  it("refuses staff of another organization and customers (403), and an unknown code (404)", async () => {
    const buyer2 = await market.signUp("Cy");
    await market.fund(buyer2, 10_000);
    const placed = await http("/v1/orders", {
      method: "POST",
      token: buyer2.token,
      headers: { "idempotency-key": randomUUID() },
      body: { showId: show.showId, tierId: show.tierIds[0], quantity: 1 },
    });
    const [ticket] = await waitFor(
      async () => {
        const items = (await http("/v1/tickets?fields=code", { token: buyer2.token })).json<{ items: TicketItem[] }>()
          .items;
        return items.length === 1 ? items : undefined;
      },
      { timeoutMs: 20_000, message: `order ${placed.json().id as string} to issue its ticket` },
    );
    for (const who of [otherDoor, buyer2, buyer]) {
      const problem = assertProblem(await scan(who, ticket!.code), 403);
      assert.equal(problem.title, "Not allowed");
    }
    // Still unused: the door of its own organization lets it in.
    assert.equal((await scan(door, ticket!.code)).status, 200);
    // The organizer may check in too.
    assertProblem(await scan(org.organizer, ticket!.code), 409);

    const unknown = assertProblem(await scan(door, "0000000000ZZ"), 404);
    assert.equal(unknown.title, "Not found");
  });

  it("needs a token (401) and a well-formed code (400 naming ticketCode)", async () => {
    assertProblem(await scan(undefined, tickets[0]!.code), 401);
    for (const code of ["", "   ", "x".repeat(31), "<script>", 12345, null]) {
      const problem = assertProblem(await scan(door, code), 400);
      const fields = (problem.errors as { field: string }[]).map((error) => error.field);
      assert.ok(fields.length > 0 && fields.every((field) => field === "ticketCode"), JSON.stringify(code));
    }
    assertProblem(await http("/v1/check-ins", { method: "POST", token: door.token, body: { code: "X" } }), 400);
    assertProblem(await http("/v1/check-ins", { method: "POST", token: door.token }), 400);
    const problem = assertProblem(await http("/v1/check-ins", { token: door.token }), 405);
    assert.match(String(problem.detail), /GET is not allowed/);
  });
});
