import { inSpan } from "@marquee/platform/telemetry/tracing";
import { evolve, type OrderState } from "../../domain/order.js";
import { inSequence, nextPurchaseStep, type Decision, type PurchaseStep } from "../../domain/purchase-saga.js";
import { PURCHASE_STEP_NAMES, purchaseStepOutcome } from "../../domain/saga-steps.js";
import { mutateOrder } from "../mutate.js";
import type { OrdersDeps, SagaRun } from "../ports.js";
import { ORCHESTRATOR } from "./actors.js";
import { chargeWallet } from "./charge-wallet.js";
import { confirmOrder } from "./confirm-order.js";
import { reserveSeats } from "./reserve-seats.js";
import type { SagaJournal } from "./saga-journal.js";

/**
 * Orchestration: drives one purchase to a terminal state. The steps run one after the other on
 * the state in hand and the whole run is recorded in ONE append, which also ends the saga (its
 * row goes with the events). Every step is idempotent on the other side (by order id), so after a
 * crash the saga simply runs again from the order's recorded state. A failed call throws: what
 * the run learned so far is recorded first (the buyer sees the held seats), and the worker retries
 * with backoff. Each step's attempt goes in the run's journal; the steps are written with the
 * run's append (or, when the run fails or records nothing, by the worker with the saga's row).
 */
export async function runPurchaseSaga(
  deps: OrdersDeps,
  orderId: string,
  journal: SagaJournal,
  known?: OrderState,
): Promise<SagaRun> {
  const recorded = known ?? (await deps.store.load(orderId));
  if (!recorded) throw new Error(`saga for unknown order ${orderId}`);
  const decisions: Decision[] = [];
  let state = recorded;
  try {
    for (let step = nextPurchaseStep(state); step !== "done"; step = nextPurchaseStep(state)) {
      const before = state;
      const { decision, after } = await journal.step(
        PURCHASE_STEP_NAMES[step],
        async () => {
          // One span per step (its gRPC calls are client spans under it).
          const made = await inSpan(`saga purchase ${step}`, { attributes: { "marquee.order.id": orderId } }, () =>
            STEPS[step](deps, before, journal),
          );
          return { decision: made, after: applyInMemory(deps, before, made) };
        },
        (answer) => purchaseStepOutcome(answer.after),
      );
      decisions.push(decision);
      state = after;
    }
  } catch (error) {
    if (decisions.length > 0) {
      await mutateOrder(deps, orderId, inSequence(decisions, deps.clock.now()), ORCHESTRATOR, recorded).catch(
        () => undefined, // the retry learns it again
      );
    }
    throw error;
  }
  return record(deps, orderId, decisions, recorded, journal);
}

/** The run's outcome and steps in one append that also deletes the saga's row; ended = it did. */
async function record(
  deps: OrdersDeps,
  orderId: string,
  decisions: Decision[],
  recorded: OrderState,
  journal: SagaJournal,
): Promise<SagaRun> {
  if (decisions.length === 0) return { state: recorded, ended: false };
  let ended = false;
  const decide = inSequence(decisions, deps.clock.now());
  const steps = journal.unwritten();
  const state = await mutateOrder(
    deps,
    orderId,
    (current) => {
      const events = decide(current);
      ended = events.length > 0;
      return events;
    },
    { ...ORCHESTRATOR, completeSaga: "purchase", steps },
    recorded,
  );
  if (ended) journal.markWritten(steps);
  return { state, ended };
}

function applyInMemory(deps: OrdersDeps, state: OrderState, decision: Decision): OrderState {
  const now = deps.clock.now();
  return decision(state).reduce<OrderState>((s, event) => evolve(s, event, now), state);
}

const STEPS: Record<
  Exclude<PurchaseStep, "done">,
  (deps: OrdersDeps, state: OrderState, journal: SagaJournal) => Promise<Decision>
> = {
  reserve_seats: reserveSeats,
  charge_wallet: chargeWallet,
  confirm_seats: confirmOrder,
};
