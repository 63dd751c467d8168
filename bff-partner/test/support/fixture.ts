import { PartnerApi } from "./api.js";
import { Contract } from "./contract.js";
import { marketplace, type Marketplace, type Partner } from "./marketplace.js";
import { startPartner, type PartnerProcess } from "./partner-process.js";
import { acquireServices, releaseServices, type Services } from "./system.js";

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
