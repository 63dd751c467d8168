import type { AnyEvent } from "../domain/events.js";
import { isInventoryEvent, PROJECTORS as STEPS, type Projector, type StepResult } from "../domain/projectors.js";
import type { ProjectionName } from "../domain/projections.js";
import { projectLive } from "./apply-document.js";
import type { GenerationStores } from "./ports.js";

export type LiveProjector = (stores: GenerationStores, event: AnyEvent) => Promise<StepResult>;

const live =
  (project: Projector): LiveProjector =>
  (stores, event) =>
    projectLive(stores, project, event);

/** How each projection applies one event live: a read and a conditional write per document. */
export const PROJECTORS: Record<ProjectionName, LiveProjector> = {
  "my-orders": live(STEPS["my-orders"]),
  "partner-orders": live(STEPS["partner-orders"]),
  "organizer-sales": live(STEPS["organizer-sales"]),
  availability: live(STEPS.availability),
};

/** The order a projected event is about, for read-your-writes waiters. */
export function orderIdOf(e: AnyEvent): string | undefined {
  return isInventoryEvent(e) ? undefined : e.event.data.orderId;
}
