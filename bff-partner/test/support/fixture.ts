import { randomUUID } from "node:crypto";
import { marketplace, type Marketplace, type Partner } from "@marquee/system-testing";
import { PartnerApi } from "./api.js";
import { Contract } from "./contract.js";
import { acquireServices, releaseServices, type Services } from "./system.js";

/** A bff-partner instance, a real process (dist/src/main.js) the harness started. */
export interface PartnerProcess {
  readonly url: string;
  readonly databaseUrl: string;
  readonly env: NodeJS.ProcessEnv;
  output(): string;
  stop(): Promise<void>;
}

/**
 * A bff-partner instance on the shared services, with its own database unless `env` names one
 * (instances that share a database act as one deployment) and its own webhook consumer.
 * Resolves once it answers /livez.
 */
export async function startPartner(services: Services, env: NodeJS.ProcessEnv = {}): Promise<PartnerProcess> {
  const own = {
    LOG_LEVEL: "warn",
    WEBHOOK_CONSUMER: `bff-partner-${randomUUID().slice(0, 8)}`,
    // PostgreSQL's connections are shared with every other test run on this machine.
    DATABASE_POOL_SIZE: "5",
    ...env,
  };
  const instance = await services.startInstance("bff-partner", own);
  return {
    url: `http://${instance.address}`,
    databaseUrl: instance.env.DATABASE_URL ?? "",
    env: instance.env,
    output: instance.output,
    stop: instance.stop,
  };
}

export interface Fixture {
  services: Services;
  market: Marketplace;
  partner: PartnerProcess;
  contract: Contract;
  /** The API as `who` calls it. */
  api(who?: Partner | string): PartnerApi;
}

/**
 * The shared services, one bff-partner process with `env`, and its OpenAPI document as the
 * contract every answer is checked against. Call from a `before` hook; `stop` in `after`.
 */
export async function startFixture(env: NodeJS.ProcessEnv = {}): Promise<Fixture & { stop(): Promise<void> }> {
  const shared = await acquireServices();
  let partner: PartnerProcess;
  try {
    partner = await startPartner(shared, env);
  } catch (error) {
    releaseServices();
    throw error;
  }
  const document = (await (await fetch(`${partner.url}/v1/openapi.json`)).json()) as ConstructorParameters<
    typeof Contract
  >[0];
  const contract = new Contract(document);
  return {
    services: shared,
    market: marketplace(shared),
    partner,
    contract,
    api: (who) => new PartnerApi(partner.url, typeof who === "string" ? who : who?.apiKey, contract),
    stop: async () => {
      await partner.stop();
      releaseServices();
    },
  };
}
