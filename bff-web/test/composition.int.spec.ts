import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { startTcpProxy, type TcpProxy } from "@marquee/platform/testing/tcp-proxy";
import { waitFor } from "@marquee/platform/testing/wait";
import type { Dashboard } from "../src/compose/dashboard.js";
import type { HomePage } from "../src/compose/home-page.js";
import type { ShowPage } from "../src/compose/show-page.js";
import type { ShowView } from "../src/views/show.js";
import { startBlackHole } from "@marquee/system-testing";
import { startBackends, startBff, type Backends, type RunningBff } from "./support/bff.js";
import { DAY_MS, fund, organizationOf, placeOrder, publishShow, settled, type PublishedShow } from "./support/seed.js";
import { signUp, Visitor, type SignedUp } from "./support/visitor.js";

const DEADLINE_MS = 800;
/**
 * A page that waited for a hung part would answer only at the BFF's request timeout (10 s by
 * default): anything well under it shows the composition deadline cut the wait. The bound is far
 * from both, so the machine's speed cannot decide the assertion.
 */
const WAITED_FOR_HUNG_PART_MS = 5_000;

describe("bff-web composed pages (real services)", function () {
  this.timeout(120_000);
  let backends: Backends;
  /** bff-web reaches inventory and query through these proxies: pausing one takes that service away from bff-web only. */
  let inventoryProxy: TcpProxy;
  let queryProxy: TcpProxy;
  let bff: RunningBff;
  let organizer: SignedUp;
  let organizationId: string;
  let show: PublishedShow;

  before(async () => {
    backends = await startBackends();
    inventoryProxy = await startTcpProxy({ port: backends.service("inventory").port });
    queryProxy = await startTcpProxy({ port: backends.service("query").port });
    bff = await startBff(backends, {
      INVENTORY_ADDR: `127.0.0.1:${inventoryProxy.port}`,
      QUERY_ADDR: `127.0.0.1:${queryProxy.port}`,
      COMPOSE_DEADLINE_MS: String(DEADLINE_MS),
    });
    organizer = await signUp(bff.url, "Olga");
    organizationId = await organizationOf(organizer.visitor);
    show = await publishShow(organizer.visitor, organizationId, { title: "Quartet at Midnight" });
  });

  after(async () => {
    await bff?.stop();
    await inventoryProxy?.close();
    await queryProxy?.close();
    await backends?.stop();
  });

  describe("GET /api/shows/:id", () => {
    it("merges the show, its organization, live availability and the buyer's own tickets", async () => {
      const buyer = await signUp(bff.url, "Bea");
      await fund(buyer.visitor, 10_000);
      const order = await placeOrder(buyer.visitor, show, 2);
      const confirmed = await settled(buyer.visitor, order.orderId);
      assert.equal(confirmed.status, "CONFIRMED");

      const page = await buyer.visitor.get<ShowPage>(`/api/shows/${show.showId}`);
      assert.equal(page.status, 200);
      assert.deepEqual(page.body.degraded, []);
      assert.equal(page.body.show.showId, show.showId);
      assert.equal(page.body.show.title, "Quartet at Midnight");
      assert.equal(page.body.show.status, "published");
      assert.deepEqual(page.body.organization, {
        organizationId,
        name: page.body.organization?.name,
      });
      assert.match(page.body.organization?.name ?? "", /^Night Owls /);
      const tier = page.body.availability?.find((t) => t.tierId === show.tierId);
      assert.ok(tier, "availability of the show's tier");
      assert.equal(tier.capacity, 50);
      assert.ok(tier.sold >= 2, `sold ${tier.sold}`);
      assert.equal(tier.available, tier.capacity - tier.sold - tier.held);
      assert.deepEqual(tier.price, { amountMinor: 2500, currency: "EUR" });
      assert.deepEqual(
        page.body.myTickets?.map((t) => t.ticketCode).sort(),
        confirmed.tickets.map((t) => t.ticketCode).sort(),
      );
      assert.ok(page.body.myTickets?.every((t) => t.orderId === order.orderId && t.tierId === show.tierId));
    });

    it("shows a visitor everything public, with no tickets part (null, not degraded)", async () => {
      const page = await new Visitor(bff.url).get<ShowPage>(`/api/shows/${show.showId}`);
      assert.equal(page.status, 200);
      assert.deepEqual(page.body.degraded, []);
      assert.equal(page.body.myTickets, null);
      assert.equal(page.body.organization?.organizationId, organizationId);
      assert.ok((page.body.availability ?? []).length > 0);
    });

    it("answers 404 for a show that does not exist, and for someone else's draft", async () => {
      const missing = await new Visitor(bff.url).get(`/api/shows/${randomUUID()}`);
      assert.equal(missing.status, 404);
      assert.equal(missing.headers.get("content-type"), "application/problem+json");
      assert.equal(missing.problem.status, 404);

      const draft = await organizer.visitor.post<{ show: ShowView }>("/api/shows", {
        organizationId,
        title: "Not yet",
        venue: { name: "Hall", city: "Porto" },
        startsAt: new Date(Date.now() + 10 * DAY_MS).toISOString(),
        tiers: [{ name: "Seat", price: { amountMinor: 1000, currency: "EUR" }, capacity: 5 }],
      });
      assert.equal(draft.status, 201);
      const draftId = draft.body.show.showId;
      assert.equal((await organizer.visitor.get(`/api/shows/${draftId}`)).status, 200);
      const stranger = await signUp(bff.url, "Sam");
      const hidden = await stranger.visitor.get(`/api/shows/${draftId}`);
      assert.equal(hidden.status, 404);
      assert.equal((await new Visitor(bff.url).get(`/api/shows/${draftId}`)).status, 404);
    });

    it("is still 200 within the deadline when inventory is down: availability null, degraded", async () => {
      await inventoryProxy.pause();
      try {
        const started = Date.now();
        const page = await organizer.visitor.get<ShowPage>(`/api/shows/${show.showId}`);
        const took = Date.now() - started;
        assert.equal(page.status, 200);
        assert.equal(page.body.availability, null);
        assert.deepEqual(page.body.degraded, ["availability"]);
        assert.equal(page.body.show.showId, show.showId);
        assert.equal(page.body.organization?.organizationId, organizationId);
        assert.deepEqual(page.body.myTickets, []);
        assert.ok(took < WAITED_FOR_HUNG_PART_MS, `took ${took} ms: waited for the hung part?`);
      } finally {
        await inventoryProxy.resume();
      }
      await waitFor(
        async () => (await organizer.visitor.get<ShowPage>(`/api/shows/${show.showId}`)).body.availability !== null,
        { timeoutMs: 10_000, message: "availability to come back once inventory is reachable" },
      );
    });

    it("leaves a part out at the deadline when its service hangs (the page waits no longer)", async () => {
      const hole = await startBlackHole();
      const slow = await startBff(backends, { INVENTORY_ADDR: hole.address, COMPOSE_DEADLINE_MS: String(DEADLINE_MS) });
      try {
        const started = Date.now();
        const page = await new Visitor(slow.url).get<ShowPage>(`/api/shows/${show.showId}`);
        const took = Date.now() - started;
        assert.equal(page.status, 200);
        assert.equal(page.body.availability, null);
        assert.deepEqual(page.body.degraded, ["availability"]);
        assert.equal(page.body.show.title, show.title);
        assert.ok(took >= DEADLINE_MS - 50, `answered after ${took} ms: before the deadline?`);
        assert.ok(took < WAITED_FOR_HUNG_PART_MS, `took ${took} ms: waited for the hung part?`);
      } finally {
        await slow.stop();
        await hole.close();
      }
    });
  });

  describe("with the query service down", () => {
    it("leaves the buyer's tickets out of the show page (degraded), the rest is there", async () => {
      const buyer = await signUp(bff.url, "Quinn");
      await queryProxy.pause();
      try {
        const page = await buyer.visitor.get<ShowPage>(`/api/shows/${show.showId}`);
        assert.equal(page.status, 200);
        assert.equal(page.body.myTickets, null);
        assert.deepEqual(page.body.degraded, ["myTickets"]);
        assert.ok((page.body.availability ?? []).length > 0);
        const visitor = await new Visitor(bff.url).get<ShowPage>(`/api/shows/${show.showId}`);
        assert.deepEqual(visitor.body.degraded, [], "a visitor's page asks nothing of the query service");
      } finally {
        await queryProxy.resume();
      }
    });
  });

  describe("GET /api/home", () => {
    it("pages through upcoming published shows with a cursor, each with its availability", async () => {
      const titles = ["Home A", "Home B", "Home C", "Home D", "Home E"].map((t) => `${t} ${randomUUID().slice(0, 6)}`);
      for (const [i, title] of titles.entries()) {
        await publishShow(organizer.visitor, organizationId, {
          title,
          startsAt: new Date(Date.now() + (40 + i) * DAY_MS).toISOString(),
        });
      }
      const seen: string[] = [];
      const visitor = new Visitor(bff.url);
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor ? `?pageSize=2&cursor=${cursor}` : "?pageSize=2";
        const page = await visitor.get<HomePage>(`/api/home${query}`);
        assert.equal(page.status, 200);
        assert.deepEqual(page.body.degraded, []);
        assert.ok(page.body.shows.length <= 2);
        for (const listed of page.body.shows) {
          assert.equal(listed.status, "published");
          assert.ok(Array.isArray(listed.availability), `availability of ${listed.title}`);
          assert.ok(new Date(listed.startsAt ?? 0).getTime() > Date.now());
          seen.push(listed.title);
        }
        cursor = page.body.nextCursor;
        pages++;
      } while (cursor && pages < 50);
      assert.equal(cursor, null, "the last page has no cursor");
      assert.equal(new Set(seen).size, seen.length, "no show twice");
      for (const title of [...titles, show.title]) assert.ok(seen.includes(title), `${title} listed`);
      assert.ok(pages >= 3, `${pages} pages of 2 for at least 6 shows`);
      const first = seen.indexOf(titles[0]!);
      assert.deepEqual(seen.slice(first, first + 5), titles, "in order of their dates");
    });

    it("degrades availability, not the list, when inventory is down", async () => {
      await inventoryProxy.pause();
      try {
        const page = await new Visitor(bff.url).get<HomePage>("/api/home?pageSize=3");
        assert.equal(page.status, 200);
        assert.deepEqual(page.body.degraded, ["availability"]);
        assert.ok(page.body.shows.length > 0);
        assert.ok(page.body.shows.every((s) => s.availability === null));
      } finally {
        await inventoryProxy.resume();
      }
    });
  });

  describe("organizer dashboard", () => {
    it("lists the organizer's organizations' shows (drafts too) with sales", async () => {
      const buyer = await signUp(bff.url, "Dee");
      await fund(buyer.visitor, 10_000);
      const { orderId } = await placeOrder(buyer.visitor, show, 1);
      assert.equal((await settled(buyer.visitor, orderId)).status, "CONFIRMED");

      // Sales come from the query service's read model: eventually consistent with the purchases.
      const board = await waitFor(
        async () => {
          const reply = await organizer.visitor.get<Dashboard>("/api/dashboard");
          const listed = reply.body.organizations[0]?.shows.find((s) => s.showId === show.showId);
          return (listed?.sales?.ticketsSold ?? 0) >= 3 ? reply : undefined;
        },
        { timeoutMs: 10_000, message: "the dashboard to count the 2 + 1 tickets sold" },
      );
      assert.equal(board.status, 200);
      assert.deepEqual(board.body.degraded, []);
      assert.equal(board.body.organizations.length, 1);
      const [organization] = board.body.organizations;
      assert.equal(organization?.organizationId, organizationId);
      assert.match(organization?.organization?.name ?? "", /^Night Owls /);
      const listed = organization?.shows.find((s) => s.showId === show.showId);
      assert.ok(listed?.sales, "sales of the show");
      const sold = listed.sales.ticketsSold;
      assert.equal(listed.sales.ordersConfirmed, 2);
      assert.deepEqual(listed.sales.revenue, [
        {
          gross: { amountMinor: sold * 2500, currency: "EUR" },
          refunded: { amountMinor: 0, currency: "EUR" },
          net: { amountMinor: sold * 2500, currency: "EUR" },
        },
      ]);
      assert.equal(organization?.totals?.ticketsSold, sold, "the only show with sales");
      const draft = organization?.shows.find((s) => s.status === "draft");
      assert.ok(draft, "drafts are on the dashboard");
      assert.equal(draft.sales?.ticketsSold, 0, "a show with no sales counts zero (not null)");
    });

    it("is empty for a buyer who organizes nothing, and degrades sales when they are unavailable", async () => {
      const buyer = await signUp(bff.url, "Eve");
      const empty = await buyer.visitor.get<Dashboard>("/api/dashboard");
      assert.equal(empty.status, 200);
      assert.deepEqual(empty.body, { organizations: [], degraded: [] });

      await queryProxy.pause();
      try {
        const board = await organizer.visitor.get<Dashboard>("/api/dashboard");
        assert.equal(board.status, 200);
        assert.deepEqual(board.body.degraded, ["sales"]);
        assert.equal(board.body.organizations[0]?.totals, null);
        assert.ok((board.body.organizations[0]?.shows.length ?? 0) > 0);
        assert.ok(board.body.organizations[0]?.shows.every((s) => s.sales === null));
      } finally {
        await queryProxy.resume();
      }
    });
  });

  describe("organizer writes", () => {
    it("edits a show with optimistic concurrency (a stale version is 409)", async () => {
      const page = await organizer.visitor.get<ShowPage>(`/api/shows/${show.showId}`);
      const version = page.body.show.version;
      const edited = await organizer.visitor.patch<{ show: ShowView }>(`/api/shows/${show.showId}`, {
        expectedVersion: version,
        description: "Now with a pianist",
        tags: ["jazz", "piano"],
      });
      assert.equal(edited.status, 200);
      assert.equal(edited.body.show.description, "Now with a pianist");
      assert.deepEqual(edited.body.show.tags, ["jazz", "piano"]);
      assert.equal(edited.body.show.title, show.title, "fields not sent keep their value");
      assert.equal(edited.body.show.version, version + 1);

      const stale = await organizer.visitor.patch(`/api/shows/${show.showId}`, {
        expectedVersion: version,
        description: "Lost update",
      });
      assert.equal(stale.status, 409);
      assert.equal(stale.headers.get("content-type"), "application/problem+json");
    });

    it("refuses another organization's show (403) and a buyer's show creation (403)", async () => {
      const other = await signUp(bff.url, "Otto");
      const otherOrganization = await organizationOf(other.visitor);
      const edit = await other.visitor.patch(`/api/shows/${show.showId}`, { description: "hijacked" });
      assert.equal(edit.status, 403);
      const buyer = await signUp(bff.url, "Fay");
      const create = await buyer.visitor.post("/api/shows", {
        organizationId: otherOrganization,
        title: "Not mine",
        venue: { name: "Hall", city: "Porto" },
        startsAt: new Date(Date.now() + 10 * DAY_MS).toISOString(),
        tiers: [{ name: "Seat", price: { amountMinor: 1000, currency: "EUR" }, capacity: 5 }],
      });
      assert.equal(create.status, 403);
    });
  });
});
