import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { bearer, createClient, keysFromAccounts, TokenVerifier } from "@marquee/platform";
import { repoRoot } from "@marquee/platform/testing/binaries";
import { freePort } from "@marquee/platform/testing/server-process";
import { AccountsServiceClient, Role } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { CatalogServiceClient, ShowStatus } from "@marquee/proto/marquee/catalog/v1/catalog_service";
import { DEMO_PASSWORD, DEMO_USERS, formatSeedReport, seedDemo, type SeedResult } from "@marquee/scripts/seed";
import { BUILT, startSystem, type System } from "@marquee/system-testing";

const catalogBuilt = BUILT.some((service) => service.name === "catalog");

/** `node scripts/dist/seed.js` as scripts/up.sh runs it: with the operator's certificate. */
function seedCli(env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  const cli = path.join(repoRoot(), "scripts", "dist", "seed.js");
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli],
      { env: { PATH: process.env.PATH, TLS_DIR: process.env.TLS_DIR, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? -1) : 0, stdout, stderr }),
    );
  });
}

describe("the demo seed of scripts/up.sh, against the system", function () {
  this.timeout(60_000);
  let system: System;
  let first: SeedResult | undefined;
  const options = () => ({
    accountsAddress: system.address("accounts"),
    catalogAddress: catalogBuilt ? system.address("catalog") : undefined,
  });

  before(async () => {
    system = await startSystem();
  });

  after(async () => {
    await system?.stop();
  });

  it(`creates the users, the operator with the operator role, the organization with its door staff${catalogBuilt ? " and three published shows" : ""}`, async () => {
    first = await seedDemo(options());
    for (const who of Object.keys(DEMO_USERS) as (keyof typeof DEMO_USERS)[]) {
      assert.equal(first.users[who].email, DEMO_USERS[who].email);
      assert.equal(first.users[who].created, true, who);
    }
    assert.equal(first.organization.created, true);
    assert.equal(first.doorStaffAdded, true);
    assert.equal(first.operatorGranted, true);

    const accounts = createClient(AccountsServiceClient, system.address("accounts"));
    try {
      const door = first.users.doorStaff;
      const { memberships } = await accounts.call.getUser(
        { userId: door.userId },
        { metadata: bearer(door.accessToken) },
      );
      assert.deepEqual(memberships, [
        { organizationId: first.organization.organizationId, userId: door.userId, role: Role.ROLE_DOOR_STAFF },
      ]);
    } finally {
      accounts.close();
    }

    if (!catalogBuilt) {
      assert.ok("skipped" in first.catalog);
      return;
    }
    assert.ok("shows" in first.catalog, JSON.stringify(first.catalog));
    assert.equal(first.catalog.shows.length, 3);
    const catalog = createClient(CatalogServiceClient, system.address("catalog"));
    try {
      for (const seeded of first.catalog.shows) {
        assert.ok(seeded.created && seeded.publishedNow, seeded.title);
        const { show } = await catalog.call.getShow({ showId: seeded.showId });
        assert.equal(show?.status, ShowStatus.SHOW_STATUS_PUBLISHED, seeded.title);
        assert.equal(show?.organizationId, first.organization.organizationId);
        assert.ok((show?.tiers.length ?? 0) > 0);
      }
    } finally {
      catalog.close();
    }
  });

  it("a second run finds everything and creates nothing", async () => {
    first ??= await seedDemo(options());
    const second = await seedDemo(options());
    for (const who of Object.keys(DEMO_USERS) as (keyof typeof DEMO_USERS)[]) {
      assert.equal(second.users[who].userId, first.users[who].userId, who);
      assert.equal(second.users[who].created, false, who);
    }
    assert.deepEqual(second.organization, { ...first.organization, created: false });
    assert.equal(second.doorStaffAdded, false);
    assert.equal(second.operatorGranted, false);
    if ("shows" in first.catalog && "shows" in second.catalog) {
      assert.deepEqual(
        second.catalog.shows.map((show) => [show.showId, show.created, show.publishedNow]),
        first.catalog.shows.map((show) => [show.showId, false, false]),
      );
    }
    const report = formatSeedReport(second);
    assert.doesNotMatch(report, /\bcreated\b/, report);
  });

  it("operator@marquee.test signs in with the demo password and its token carries the operator role (op); the buyer's does not", async () => {
    first ??= await seedDemo(options());
    const accounts = createClient(AccountsServiceClient, system.address("accounts"));
    const verifier = new TokenVerifier(keysFromAccounts(system.address("accounts")));
    try {
      const operator = await accounts.call.authenticate({ email: DEMO_USERS.operator.email, password: DEMO_PASSWORD });
      assert.equal(operator.user?.userId, first.users.operator.userId);
      // What every service's access check asks of a console call made for this user.
      const principal = await verifier.requireOperator(`Bearer ${operator.accessToken}`);
      assert.equal(principal.userId, first.users.operator.userId);
      assert.equal(principal.operator, true);
      const buyer = await accounts.call.authenticate({ email: DEMO_USERS.buyer.email, password: DEMO_PASSWORD });
      assert.equal((await verifier.verify(buyer.accessToken)).operator, undefined);
    } finally {
      accounts.close();
    }
  });

  it("the CLI prints the report, and skips shows when no catalog answers", async () => {
    const nobody = `127.0.0.1:${await freePort()}`;
    const run = await seedCli({ ACCOUNTS_ADDR: system.address("accounts"), CATALOG_ADDR: nobody });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /password of every demo user: \S+/);
    assert.match(run.stdout, /organizer@marquee\.test/);
    assert.match(run.stdout, /operator@marquee\.test/);
    assert.match(run.stdout, new RegExp(`shows: skipped \\(catalog is not SERVING at ${nobody}\\)`));
  });

  it("the CLI fails with one line and exit 1 when accounts does not answer", async () => {
    const nobody = `127.0.0.1:${await freePort()}`;
    const run = await seedCli({ ACCOUNTS_ADDR: nobody });
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stderr, new RegExp(`^seed: failed: accounts at ${nobody}: .*\\(unavailable\\)\\n$`));
  });
});
