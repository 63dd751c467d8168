import type { AnyEvent } from "../domain/events.js";
import { isInventoryEvent, PROJECTORS as STEPS, type Projector } from "../domain/projectors.js";
import type { ProjectionName } from "../domain/projections.js";
import type { GenerationStores } from "./ports.js";
import { projectBatch, type BatchResults } from "./project-batch.js";

export type LiveProjector = (stores: GenerationStores, events: readonly AnyEvent[]) => Promise<BatchResults>;

const live =
  (project: Projector): LiveProjector =>
  (stores, events) =>
    projectBatch(stores, project, events);

/** How each projection applies a batch of events live: each document read and written once. */
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
