import { SERVICES, type ServiceName } from "../clients.js";
import type { OpsDeps } from "../deps.js";
import { deadLetterView, type DeadLetterView } from "../views/admin.js";
import { askEveryService } from "./every-service.js";

/** A service's dead letters are read a page at a time; the console shows the oldest this many of each. */
const PER_SERVICE = 200;

/** The dead letters of every service (or one), oldest first, each decoded; services that did not answer in `degraded`. */
export async function deadLetters(
  deps: OpsDeps,
  filter: { service?: ServiceName | undefined; consumer: string },
): Promise<{ deadLetters: DeadLetterView[]; degraded: string[] }> {
  const only = filter.service ? [filter.service] : SERVICES;
  const { answers, degraded } = await askEveryService(
    deps,
    (service) =>
      deps.clients.admin[service].listDeadLetters({
        consumer: filter.consumer,
        pageSize: PER_SERVICE,
        afterSequence: 0,
      }),
    only,
  );
  const letters = [...answers].flatMap(([service, answer]) =>
    answer.deadLetters.map((letter) => deadLetterView(service, letter)),
  );
  letters.sort((a, b) => Date.parse(a.deadLetteredAt ?? "") - Date.parse(b.deadLetteredAt ?? ""));
  return { deadLetters: letters, degraded };
}
