import { SERVICES } from "../clients.js";
import type { OpsDeps } from "../deps.js";
import { downService, serviceOverviewView, type ServiceOverview } from "../views/admin.js";
import { askEveryService } from "./every-service.js";

export interface Overview {
  at: string;
  /** Every service in start order; one that did not answer in time is there with `up: false`. */
  services: ServiceOverview[];
  degraded: string[];
}

/** Every service's health, outbox backlog, consumer lag and dead letters (GetOverview), composed. */
export async function overview(deps: OpsDeps): Promise<Overview> {
  const { answers, degraded } = await askEveryService(deps, (service) => deps.clients.admin[service].getOverview({}));
  return {
    at: new Date().toISOString(),
    services: SERVICES.map((service) => {
      const answer = answers.get(service);
      return answer ? serviceOverviewView(service, answer) : downService(service);
    }),
    degraded,
  };
}
