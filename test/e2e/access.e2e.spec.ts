import { describe, it, before, after } from "mocha";
import { connectAs } from "@marquee/platform/testing/nats-client";
import { toolPath } from "@marquee/platform/testing/binaries";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ChannelCredentials, Client, Metadata, status, type ServiceError } from "@grpc/grpc-js";
import {
  auditStreamOf,
  clientCredentials,
  createClient,
  deadLetterStreamOf,
  loadIdentity,
  streamOf,
  type TransportIdentity,
} from "@marquee/platform";
import { ensureCertificates } from "@marquee/platform/pki";
import { streamEvents } from "@marquee/platform/testing/streams";
import { grpcurlTls, issuedIdentity, STRANGER, testIdentity, testTlsDir } from "@marquee/platform/testing/tls";
import { ACCESS_TABLES, BFF_WORKLOADS, SERVICE_WORKLOADS, type AccessRule, type Caller } from "@marquee/proto/access";
import { InventoryServiceService, ReleaseSeatsRequest } from "@marquee/proto/marquee/inventory/v1/inventory_service";
import { OrderStatus } from "@marquee/proto/marquee/orders/v1/orders_service";
import { RefundOrderRequest, WalletServiceService } from "@marquee/proto/marquee/wallet/v1/wallet_service";
import { AccountsServiceClient } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import {
  BUILT,
  grpcurl,
  marketplace,
  PASSWORD,
  startSystem,
  EVENT_NAMESPACE,
  type System,
} from "@marquee/system-testing";

/** What a caller holds: a certificate (ours, a stranger's, another CA's) or none, and maybe a user's token. */
interface Credential {
  name: string;
  credentials: ChannelCredentials;
}

interface Answer {
  code: number;
  details: string;
}

/** What a call is aimed at: the service's address, and the workload its certificate must name. */
interface Target {
  address: string;
  server: string;
}

/** One call by its path with an empty (all-defaults) request body, unary or server-streaming. */
function callRaw(
  { address, server }: Target,
  credential: Credential,
  rpcPath: string,
  streaming: boolean,
  metadata = new Metadata(),
  body: Buffer = Buffer.alloc(0),
): Promise<Answer> {
  // The server must prove it is the service at that address (its certificate's DNS name).
  const client = new Client(address, credential.credentials, { "grpc.ssl_target_name_override": server });
  const serialize = (value: Buffer): Buffer => value;
  const deserialize = (value: Buffer): Buffer => value;
  const deadline = Date.now() + 5_000;
  return new Promise<Answer>((resolve) => {
    const done = (error: ServiceError | null): void => {
      client.close();
      resolve({ code: error?.code ?? status.OK, details: error?.details ?? "" });
    };
    if (!streaming) {
      client.makeUnaryRequest(rpcPath, serialize, deserialize, body, metadata, { deadline }, (error) => done(error));
      return;
    }
    const stream = client.makeServerStreamRequest(rpcPath, serialize, deserialize, body, metadata, { deadline });
    // An admitted stream is cancelled at its first message: what matters is that it was let in.
    stream.on("data", () => stream.cancel());
    stream.on("error", (error: ServiceError) => done(error.code === status.CANCELLED ? null : error));
    stream.on("end", () => done(null));
  });
}

/** The real `nats` CLI (scripts/tools.sh); never rejects on a non-zero exit. */
function runNats(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(toolPath("nats"), args, { timeout: 15_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout: `${stdout}${stderr}` }),
    );
  });
}

/** gRPC services every service serves (the platform adds them), not only the one their package names. */
const PLATFORM_SERVICES = ["marquee.admin.v1.AdminService"];

const bearerOnly = (token: string): Metadata => {
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  return metadata;
};

describe("zero trust inside: mutual TLS and each RPC's access table (real processes)", function () {
  this.timeout(120_000);
  let system: System;
  let nc: NatsConnection;
  let foreignCa: string;
  let credentialOf: (workload: string) => Credential;
  let noCertificate: Credential;
  let otherCa: Credential;
  let userToken: string;
  /** A user granted the operator role (accounts' GrantOperator, by the operator certificate), signed in again. */
  let operatorToken: string;

  before(async () => {
    system = await startSystem();
    nc = await connectAs(system.nats.url);
    const ca = loadIdentity(await testTlsDir("operator")).ca;
    credentialOf = (workload) => ({ name: workload, credentials: clientCredentials(issuedIdentity(workload)) });
    noCertificate = { name: "no certificate", credentials: ChannelCredentials.createSsl(ca) };
    // A certificate naming orders, from a CA the servers do not trust.
    foreignCa = await mkdtemp(path.join(tmpdir(), "marquee-foreign-ca-"));
    await ensureCertificates(foreignCa, ["orders"]);
    const impostor: TransportIdentity = { ...loadIdentity(path.join(foreignCa, "orders")), ca };
    otherCa = { name: "orders' name from another CA", credentials: clientCredentials(impostor) };
    userToken = (await marketplace(system).signUp("Mallory")).token;
    const accounts = createClient(AccountsServiceClient, system.address("accounts"), {
      identity: issuedIdentity("operator"),
    });
    try {
      const { email } = await marketplace(system).signUp("Olive");
      await accounts.call.grantOperator({ email, operator: true });
      operatorToken = (await accounts.call.authenticate({ email, password: PASSWORD })).accessToken;
    } finally {
      accounts.close();
    }
  });

  after(async () => {
    await nc?.close();
    await system?.stop();
    if (foreignCa) await rm(foreignCa, { recursive: true, force: true });
  });

  /**
   * The services each table's gRPC service is served by: the platform's own (PLATFORM_SERVICES)
   * by every service, any other by the service of its package (marquee.<service>.v1.…).
   */
  const servers = (grpcService: string): string[] =>
    BUILT.map((built) => built.name).filter(
      (name) => PLATFORM_SERVICES.includes(grpcService) || grpcService.split(".")[1] === name,
    );

  for (const [serviceName, table] of Object.entries(ACCESS_TABLES as Record<string, Record<string, AccessRule>>)) {
    for (const server of servers(serviceName)) {
      describe(`${serviceName} (${server})`, () => {
        const target = (): Target => ({ address: system.address(server), server });
        for (const [rpc, rule] of Object.entries(table)) {
          const rpcPath = `/${serviceName}/${rpc}`;
          const streaming = rpc === "ReadEvents" || rpc === "ReadEventPages" || rpc === "RebuildProjection";
          const outsiders = (candidates: readonly Caller[]): Caller[] =>
            candidates.filter((candidate) => !rule.callers.includes(candidate));
          const admitted = (workload: string, answer: Answer): void => {
            assert.notEqual(answer.code, status.PERMISSION_DENIED, `${workload}: ${answer.details}`);
            assert.notEqual(answer.code, status.UNAUTHENTICATED, `${workload}: ${answer.details}`);
            assert.notEqual(answer.code, status.UNAVAILABLE, `${workload}: ${answer.details}`);
          };

          it(`${rpc}: refused without a client certificate, with a token alone, and with another CA's`, async () => {
            for (const [credential, metadata] of [
              [noCertificate, new Metadata()],
              [noCertificate, bearerOnly(userToken)],
              [otherCa, new Metadata()],
            ] as const) {
              const answer = await callRaw(target(), credential, rpcPath, streaming, metadata);
              assert.equal(answer.code, status.UNAVAILABLE, `${credential.name}: ${answer.details}`);
            }
          });

          it(`${rpc}: PERMISSION_DENIED for every workload not listed (${rule.callers.join(", ")} may call)`, async () => {
            const refused = outsiders([...SERVICE_WORKLOADS, ...BFF_WORKLOADS, "operator"]);
            for (const workload of [...refused, STRANGER]) {
              const answer = await callRaw(target(), credentialOf(workload), rpcPath, streaming, bearerOnly(userToken));
              assert.equal(
                answer.code,
                status.PERMISSION_DENIED,
                `${workload}: ${status[answer.code]} ${answer.details}`,
              );
              assert.equal(answer.details, `${workload} may not call ${rpc}`);
            }
          });

          if (rule.acting === "operator") {
            it(`${rpc}: the operator certificate gets in without a token; bff-ops only with an operator's token (none: UNAUTHENTICATED, a user's: PERMISSION_DENIED)`, async () => {
              for (const workload of rule.callers) {
                if (workload === "operator") {
                  admitted(workload, await callRaw(target(), credentialOf(workload), rpcPath, streaming));
                  continue;
                }
                const anonymous = await callRaw(target(), credentialOf(workload), rpcPath, streaming);
                assert.equal(anonymous.code, status.UNAUTHENTICATED, `${workload}: ${anonymous.details}`);
                const user = await callRaw(target(), credentialOf(workload), rpcPath, streaming, bearerOnly(userToken));
                assert.equal(user.code, status.PERMISSION_DENIED, `${workload}: ${status[user.code]} ${user.details}`);
                assert.equal(user.details, "this call is for operators");
                const asOperator = bearerOnly(operatorToken);
                admitted(workload, await callRaw(target(), credentialOf(workload), rpcPath, streaming, asOperator));
              }
            });
            continue;
          }

          it(`${rpc}: every listed workload gets past the door${rule.acting === "workload" ? "" : ", and needs the end user's token before its body is read"}`, async () => {
            for (const workload of rule.callers) {
              const answer = await callRaw(target(), credentialOf(workload), rpcPath, streaming);
              if (rule.acting === "user" || rule.acting === "principal") {
                // The empty body would be INVALID_ARGUMENT: the token is checked first.
                assert.equal(
                  answer.code,
                  status.UNAUTHENTICATED,
                  `${workload}: ${status[answer.code]} ${answer.details}`,
                );
              } else {
                admitted(workload, answer);
              }
            }
          });
        }
      });
    }
  }

  it("a confirmed order cannot be refunded or its seats released by anyone but orders: balance, stock and streams unchanged", async () => {
    const market = marketplace(system);
    const show = await market.publishShow(10, 2_500);
    const buyer = await market.buyer(10_000);
    const placed = await market.buy(buyer, show, 2);
    const order = await market.settled(buyer, placed.orderId);
    assert.equal(order.status, OrderStatus.ORDER_STATUS_CONFIRMED, "the full purchase still works over mutual TLS");
    const balance = await market.balance(buyer);
    const stock = (await market.availability(show))?.available;

    const refund = Buffer.from(
      RefundOrderRequest.encode(RefundOrderRequest.fromPartial({ orderId: order.orderId, reason: "x" })).finish(),
    );
    const moves = [
      {
        target: { address: system.address("wallet"), server: "wallet" },
        path: WalletServiceService.refundOrder.path,
        body: refund,
      },
      {
        target: { address: system.address("inventory"), server: "inventory" },
        path: InventoryServiceService.releaseSeats.path,
        body: Buffer.from(
          ReleaseSeatsRequest.encode(ReleaseSeatsRequest.fromPartial({ orderId: order.orderId })).finish(),
        ),
      },
    ];
    const callers = [
      noCertificate,
      otherCa,
      credentialOf("operator"),
      credentialOf("bff-partner"),
      credentialOf("query"),
    ];
    for (const move of moves) {
      for (const credential of callers) {
        const answer = await callRaw(move.target, credential, move.path, false, bearerOnly(buyer.token), move.body);
        assert.ok(
          answer.code === status.UNAVAILABLE || answer.code === status.PERMISSION_DENIED,
          `${move.path} as ${credential.name}: ${status[answer.code]} ${answer.details}`,
        );
      }
    }

    assert.equal(await market.balance(buyer), balance);
    assert.equal((await market.availability(show))?.available, stock);
    assert.equal((await market.order(buyer, order.orderId)).status, OrderStatus.ORDER_STATUS_CONFIRMED);
    const undone = [
      ...(await streamEvents(nc, streamOf(EVENT_NAMESPACE, "wallet").name)),
      ...(await streamEvents(nc, streamOf(EVENT_NAMESPACE, "inventory").name)),
    ].filter((event) => /\.(funds_refunded|seats_released)$/.test(event.subject));
    assert.deepEqual(undone, [], "no refund or release was published");
  });

  it("grpcurl: the operator's certificate lists and calls; without a client certificate the handshake fails", async () => {
    const address = system.address("wallet");
    const listed = await grpcurl(...(await grpcurlTls("operator")), address, "list");
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /marquee\.wallet\.v1\.WalletService/);

    const operatorDir = await testTlsDir("operator");
    const request = ["-d", '{"order_id": "x", "reason": "x"}', address, "marquee.wallet.v1.WalletService/RefundOrder"];
    const anonymous = await grpcurl("-cacert", path.join(operatorDir, "ca.crt"), ...request);
    assert.notEqual(anonymous.code, 0, anonymous.stdout);
    assert.match(anonymous.stderr, /certificate|handshake|tls|EOF|connection/i);

    const operator = await grpcurl(...(await grpcurlTls("operator")), ...request);
    assert.equal(operator.code, 64 + status.PERMISSION_DENIED, operator.stderr);
    assert.match(operator.stderr, /operator may not call RefundOrder/);
  });

  describe("NATS: each workload connects as its own user, with its own rights", () => {
    const subject = (context: string, name: string): string => `${EVENT_NAMESPACE}.${context}.${name}`;
    const failure = (attempt: Promise<unknown>, what: string): Promise<string> =>
      attempt.then(
        () => assert.fail(`${what}: allowed`),
        (caught: unknown) => String(caught),
      );
    /** The server answered "Permissions Violation": the user exists, the right does not. */
    const refused = async (attempt: Promise<unknown>, what: string): Promise<void> =>
      assert.match(await failure(attempt, what), /Permissions Violation/, what);

    it("no certificate: the connection is refused (and `nats pub` without credentials too)", async () => {
      const ca = (await testIdentity("operator")).ca.toString();
      const anonymous = await failure(connect({ servers: system.nats.url, tls: { ca }, reconnect: false }), "TLS only");
      assert.match(anonymous, /certificate|authoriz|tls|handshake|closed|reset/i, anonymous);
      const plain = await failure(connect({ servers: system.nats.url, reconnect: false }), "no TLS");
      assert.match(plain, /tls|secure|authoriz|certificate/i, plain);
      const published = await runNats(["--server", system.nats.url, "pub", subject("wallet", "funds_charged"), "x"]);
      assert.notEqual(published.code, 0, published.stdout);
      const withCaOnly = await runNats([
        "--server",
        system.nats.url,
        "--tlsca",
        path.join(await testTlsDir("operator"), "ca.crt"),
        "pub",
        subject("orders", "order_placed"),
        "x",
      ]);
      assert.notEqual(withCaOnly.code, 0, withCaOnly.stdout);
    });

    it("bff-partner publishes no domain event and reads no stream but orders'", async () => {
      const partner = await connectAs(system.nats.url, "bff-partner");
      try {
        const js = jetstream(partner, { timeout: 2_000 });
        for (const [context, name] of [
          ["wallet", "funds_charged"],
          ["orders", "order_placed"],
          ["inventory", "seats_reserved"],
        ] as const) {
          await refused(js.publish(subject(context, name), new Uint8Array(), { timeout: 2_000 }), `publish ${name}`);
        }
        const jsm = await jetstreamManager(partner, { timeout: 2_000 });
        const wallet = streamOf(EVENT_NAMESPACE, "wallet").name;
        await refused(jsm.streams.getMessage(wallet, { seq: 1 }), "read the wallet stream");
        await refused(
          jsm.consumers.add(wallet, { durable_name: "peek", ack_policy: AckPolicy.Explicit }),
          "consume wallet",
        );
        await refused(jsm.streams.purge(streamOf(EVENT_NAMESPACE, "orders").name), "purge orders");
        // What it does need still works: orders' stream, which its webhooks consume.
        const orders = await jsm.streams.info(streamOf(EVENT_NAMESPACE, "orders").name);
        assert.ok(orders.state.messages > 0, "orders' stream has the purchase's events");
      } finally {
        await partner.close();
      }
    });

    it("the audit log takes each service's own records only, and nobody deletes or purges one; only a consumer touches dead letters", async () => {
      const orders = await connectAs(system.nats.url, "orders");
      const accounts = await connectAs(system.nats.url, "accounts");
      try {
        const audit = auditStreamOf(EVENT_NAMESPACE).name;
        const deadLetters = deadLetterStreamOf(EVENT_NAMESPACE).name;
        const js = jetstream(orders, { timeout: 2_000 });
        await refused(
          js.publish(subject("audit", "wallet.tforged"), new Uint8Array(), { timeout: 2_000 }),
          "an audit record as wallet",
        );
        const jsm = await jetstreamManager(orders, { timeout: 2_000 });
        await refused(jsm.streams.deleteMessage(audit, 1), "delete an audit record");
        await refused(jsm.streams.purge(audit), "purge the audit log");
        const config = (await jsm.streams.info(audit)).config;
        assert.equal(config.deny_delete, true, "the stream itself refuses deletes, whoever asks");
        assert.equal(config.deny_purge, true);
        const bystander = await jetstreamManager(accounts, { timeout: 2_000 });
        await refused(
          bystander.streams.getMessage(deadLetters, { seq: 1 }),
          "accounts consumes nothing: reads no dead letter",
        );
        await refused(bystander.streams.deleteMessage(deadLetters, 1), "nor deletes one");
      } finally {
        await orders.close();
        await accounts.close();
      }
    });

    it("a service publishes only its own context's events: orders cannot confirm a payment as wallet", async () => {
      const orders = await connectAs(system.nats.url, "orders");
      try {
        const js = jetstream(orders, { timeout: 2_000 });
        await refused(
          js.publish(subject("wallet", "funds_charged"), new Uint8Array(), { timeout: 2_000 }),
          "as wallet",
        );
        const jsm = await jetstreamManager(orders, { timeout: 2_000 });
        await refused(jsm.streams.delete(streamOf(EVENT_NAMESPACE, "orders").name), "delete its own stream");
      } finally {
        await orders.close();
      }
    });
  });
});
