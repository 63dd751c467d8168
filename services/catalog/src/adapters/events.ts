import { newEvent } from "@marquee/platform";
import { CatalogEvents as T } from "@marquee/proto/events";
import type { CatalogEvents } from "../app/ports.js";
import type { Show } from "../domain/show.js";
import { showToProto } from "./grpc/mapping.js";

/** Each event carries the whole show as it is after the change; the aggregate is the show. */
export function catalogEvents(namespace: string): CatalogEvents {
  const about = (show: Show) => ({ show: showToProto(show), occurredAt: show.updatedAt });
  const at = (show: Show) => ({ occurredAt: show.updatedAt });
  return {
    showCreated: (show) => newEvent(namespace, T.showCreated, show.showId, about(show), at(show)),
    showUpdated: (show) => newEvent(namespace, T.showUpdated, show.showId, about(show), at(show)),
    showPublished: (show) => newEvent(namespace, T.showPublished, show.showId, about(show), at(show)),
  };
}
