import type { IncomingEvent } from "@marquee/platform";
import type { OrderEvent, OrderState } from "../../../domain/order.js";
import type { StepName } from "../../../domain/saga-steps.js";
import { mutateOrder } from "../../mutate.js";
import type { AppendOptions, OrdersDeps } from "../../ports.js";
import { failure, SagaJournal, type StepResult } from "../saga-journal.js";

/** A reaction to another service's answer: the purchase saga's step it completes, and how. */
export interface Reaction {
  step: StepName;
  result: StepResult;
  decide: (state: OrderState) => OrderEvent[];
}

/**
 * Choreography: orders records another service's answer for its order, once per event (the
 * consumer's inbox row is written with the order's events), and the purchase saga's step the
 * answer completes in the same append (the delivery is the attempt). A reaction that fails (the
 * answer came before what it follows, the database is away) is recorded as a failed attempt on
 * its own, best effort, and rethrown: JetStream delivers the event again.
 */
export async function recordReaction(
  deps: OrdersDeps,
  causedBy: IncomingEvent,
  inbox: string,
  orderId: string,
  reaction: Reaction,
  startedAt: Date,
): Promise<void> {
  const options: AppendOptions = { actor: "system:choreography", causedBy, inbox };
  const journal = new SagaJournal("purchase", causedBy.deliveryCount, deps.clock);
  try {
    await mutateOrder(deps, orderId, reaction.decide, {
      ...options,
      steps: [journal.entry(reaction.step, startedAt, reaction.result)],
    });
  } catch (error) {
    const failed = journal.entry(reaction.step, startedAt, failure(error));
    await deps.sagas.record(orderId, [failed]).catch(() => undefined); // the database may be what failed
    throw error;
  }
}
