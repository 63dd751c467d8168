import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createClient, DomainError } from "@marquee/platform";
import { waitFor } from "@marquee/platform/testing/wait";
import { AccountsServiceClient } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { CatalogServiceClient } from "@marquee/proto/marquee/catalog/v1/catalog_service";
import { startSystem, type System } from "@marquee/system-testing";

const FIRST_PAGE = { text: "", tag: "", organizationId: "", pageToken: "", pageSize: 5 };

/** "If one database dies, the others don't notice." */
describe("database per service: catalog's MongoDB (FerretDB) goes down", function () {
  this.timeout(120_000);
  let system: System;

  before(async () => {
    system = await startSystem(["accounts", "catalog"]);
  });

  after(async () => {
    await system?.stop();
  });

  it("catalog fails fast with UNAVAILABLE and NOT_SERVING; accounts serves on; catalog recovers by itself", async () => {
    const accounts = createClient(AccountsServiceClient, system.address("accounts")).call;
    const catalog = createClient(CatalogServiceClient, system.address("catalog")).call;
    const catalogProcess = system.services.get("catalog");
    assert.ok(catalogProcess);
    assert.equal((await catalog.listShows(FIRST_PAGE)).shows.length, 0);

    await system.ferretDb().kill("SIGKILL");
    const started = Date.now();
    const outcome = await catalog.listShows(FIRST_PAGE).then(
      () => "answered",
      (e: unknown) => (e instanceof DomainError ? e.kind : String(e)),
    );
    assert.equal(outcome, "unavailable");
    assert.ok(Date.now() - started < 3_000, `UNAVAILABLE within 3 s (took ${Date.now() - started} ms)`);
    await waitFor(async () => (await catalogProcess.health()) === "NOT_SERVING", { message: "catalog NOT_SERVING" });

    const email = `still.${randomUUID()}@example.com`;
    const { user } = await accounts.registerUser({
      email,
      displayName: "Still Here",
      password: "correct horse battery",
    });
    assert.equal(user?.email, email);
    assert.equal(await system.services.get("accounts")?.health(), "SERVING");

    await system.ferretDb().restart();
    await waitFor(async () => (await catalogProcess.health()) === "SERVING", {
      timeoutMs: 20_000,
      message: "catalog to recover",
    });
    assert.equal((await catalog.listShows(FIRST_PAGE)).shows.length, 0);
  });
});
