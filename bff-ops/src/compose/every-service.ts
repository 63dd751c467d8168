import { compose } from "@marquee/platform";
import { withinDeadline } from "@marquee/platform/web/deadline";
import { SERVICES, type ServiceName } from "../clients.js";
import type { OpsDeps } from "../deps.js";

/**
 * Asks every service (or those named) the same thing in parallel under one deadline
 * (COMPOSE_DEADLINE_MS, the calls cancelled at it): the answers by service, and the services that
 * failed or were too slow (`degraded`), which never fail the whole answer.
 */
export async function askEveryService<T>(
  deps: OpsDeps,
  ask: (service: ServiceName) => Promise<T>,
  only: readonly ServiceName[] = SERVICES,
): Promise<{ answers: Map<ServiceName, T>; degraded: ServiceName[] }> {
  const deadlineMs = deps.config.COMPOSE_DEADLINE_MS;
  const parts = Object.fromEntries(only.map((service) => [service, () => ask(service)])) as Record<
    ServiceName,
    () => Promise<T>
  >;
  const composed = await withinDeadline(deadlineMs, () => compose(parts, { deadlineMs, logger: deps.logger }));
  const answers = new Map<ServiceName, T>();
  for (const service of only) {
    const answer = composed[service];
    if (answer !== null && answer !== undefined) answers.set(service, answer as T);
  }
  return { answers, degraded: composed.degraded as ServiceName[] };
}
