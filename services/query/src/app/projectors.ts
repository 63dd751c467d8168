import type { InventoryEvent, OrderEvent, Sourced } from "../domain/events.js";
import type { ProjectionName } from "../domain/projections.js";
import type { Applied } from "./apply-document.js";
import type { AnyEvent, GenerationStores } from "./ports.js";
import { projectAvailability } from "./project-availability.js";
import { projectOrders } from "./project-orders.js";
import { projectSales } from "./project-sales.js";

export type Projector = (stores: GenerationStores, event: AnyEvent) => Promise<Applied<unknown>>;

const INVENTORY_TYPES = new Set<string>([
  "SeatsReserved",
  "SeatsConfirmed",
  "SeatsReleased",
  "SeatsUnavailable",
  "StockChanged",
]);

const isInventory = (e: AnyEvent): e is Sourced<InventoryEvent> => INVENTORY_TYPES.has(e.event.type);

const fromOrders =
  (project: (stores: GenerationStores, e: Sourced<OrderEvent>) => Promise<Applied<unknown>>): Projector =>
  async (stores, e) =>
    isInventory(e) ? { kind: "ignored" } : project(stores, e);

const fromInventory =
  (project: (stores: GenerationStores, e: Sourced<InventoryEvent>) => Promise<Applied<unknown>>): Projector =>
  async (stores, e) =>
    isInventory(e) ? project(stores, e) : { kind: "ignored" };

/** How each projection applies one event to a generation's documents (live and rebuild alike). */
export const PROJECTORS: Record<ProjectionName, Projector> = {
  "my-orders": fromOrders(projectOrders("user")),
  "partner-orders": fromOrders(projectOrders("partner")),
  "organizer-sales": fromOrders(projectSales),
  availability: fromInventory(projectAvailability),
};

/** The order a projected event is about, for read-your-writes waiters. */
export function orderIdOf(e: AnyEvent): string | undefined {
  return isInventory(e) ? undefined : e.event.data.orderId;
}
