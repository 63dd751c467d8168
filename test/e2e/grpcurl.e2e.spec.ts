import { describe, it, before, after } from "mocha";
import assert from "node:assert/strict";
import { grpcurlTls } from "@marquee/platform/testing/tls";
import { grpcurl, BUILT, startSystem, type System } from "@marquee/system-testing";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Full names of the types a `grpcurl describe` output refers to (written ".pkg.Type"), comments aside. */
const referencedTypes = (description: string): string[] =>
  [...description.replace(/\/\/.*$/gm, "").matchAll(/[\s(<,]\.([A-Za-z_]\w*(?:\.\w+)+)/g)].map((m) => m[1] ?? "");

describe("grpcurl against the running system: reflection, health, error details", function () {
  this.timeout(60_000);
  let system: System;
  /** The operator's certificate: the servers take no call without one from our CA. */
  let tls: string[];

  before(async () => {
    system = await startSystem();
    tls = await grpcurlTls("operator");
  });

  after(async () => {
    await system?.stop();
  });

  it("has accounts built (the calls below go to it)", () => {
    assert.ok(
      BUILT.some((service) => service.name === "accounts"),
      "services/accounts/dist/src/main.js is missing: build first (npm run build)",
    );
  });

  for (const service of BUILT) {
    describe(service.name, () => {
      it(`list shows grpc.health.v1.Health and ${service.grpcService}`, async () => {
        const run = await grpcurl(...tls, system.address(service.name), "list");
        assert.equal(run.code, 0, run.stderr);
        const listed = run.stdout.trim().split("\n");
        assert.ok(listed.includes("grpc.health.v1.Health"), run.stdout);
        assert.ok(listed.includes(service.grpcService), run.stdout);
      });

      it("grpc.health.v1.Health/Check says SERVING", async () => {
        const run = await grpcurl(...tls, system.address(service.name), "grpc.health.v1.Health/Check");
        assert.equal(run.code, 0, run.stderr);
        assert.deepEqual(JSON.parse(run.stdout), { status: "SERVING" });
      });

      it("describe resolves the service and every type it reaches, imports included", async () => {
        const address = system.address(service.name);
        const run = await grpcurl(...tls, address, "describe", service.grpcService);
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, new RegExp(`^service ${service.grpcService.split(".").at(-1)} \\{`, "m"));
        const seen = new Set<string>();
        const queue = referencedTypes(run.stdout);
        assert.ok(queue.length > 0, `no request/response types in:\n${run.stdout}`);
        for (let type = queue.shift(); type !== undefined; type = queue.shift()) {
          if (seen.has(type)) continue;
          seen.add(type);
          const described = await grpcurl(...tls, address, "describe", type);
          assert.equal(described.code, 0, `describe ${type}: ${described.stderr}`);
          queue.push(...referencedTypes(described.stdout));
        }
        // Every service has timestamps in its messages: the well-known import must resolve too.
        assert.ok(
          seen.has("google.protobuf.Timestamp"),
          `google.protobuf.Timestamp not reached: ${[...seen].join(", ")}`,
        );
      });
    });
  }

  describe("accounts RegisterUser / Authenticate / GetUser by hand", () => {
    const rpc = (method: string) => `marquee.accounts.v1.AccountsService/${method}`;

    it("bad fields: Code InvalidArgument with google.rpc.BadRequest naming each field", async () => {
      const run = await grpcurl(
        ...tls,
        "-d",
        JSON.stringify({ email: "not-an-email", display_name: "", password: "short" }),
        system.address("accounts"),
        rpc("RegisterUser"),
      );
      assert.equal(run.code, 64 + 3, `expected grpcurl's exit code for INVALID_ARGUMENT:\n${run.stdout}${run.stderr}`);
      assert.match(run.stderr, /^\s*Code: InvalidArgument$/m);
      assert.match(run.stderr, /"@type": "type\.googleapis\.com\/google\.rpc\.BadRequest"/);
      for (const field of ["email", "display_name", "password"]) {
        assert.match(run.stderr, new RegExp(`"field": "${field}"`), run.stderr);
      }
    });

    it("a valid user comes back as JSON; its token works in -H for GetUser", async () => {
      const email = `grpcurl.${Date.now()}@example.com`;
      const password = "correct horse battery staple";
      const registered = await grpcurl(
        ...tls,
        "-d",
        JSON.stringify({ email, display_name: "Grace", password }),
        system.address("accounts"),
        rpc("RegisterUser"),
      );
      assert.equal(registered.code, 0, registered.stderr);
      const { user } = JSON.parse(registered.stdout) as {
        user: { userId: string; email: string; displayName: string; createdAt: string };
      };
      assert.match(user.userId, UUID);
      assert.equal(user.email, email);
      assert.equal(user.displayName, "Grace");
      assert.ok(Math.abs(Date.parse(user.createdAt) - Date.now()) < 60_000, user.createdAt);

      const authenticated = await grpcurl(
        ...tls,
        "-d",
        JSON.stringify({ email, password }),
        system.address("accounts"),
        rpc("Authenticate"),
      );
      assert.equal(authenticated.code, 0, authenticated.stderr);
      const { accessToken } = JSON.parse(authenticated.stdout) as { accessToken: string };

      const fetched = await grpcurl(
        ...tls,
        "-H",
        `authorization: Bearer ${accessToken}`,
        "-d",
        JSON.stringify({ user_id: user.userId }),
        system.address("accounts"),
        rpc("GetUser"),
      );
      assert.equal(fetched.code, 0, fetched.stderr);
      assert.equal((JSON.parse(fetched.stdout) as { user: { email: string } }).user.email, email);
    });
  });
});
