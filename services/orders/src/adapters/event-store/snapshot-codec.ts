import type { OrderState } from "../../domain/order.js";

/** Snapshots are JSON; these fields come back as Dates. */
export function reviveState(json: unknown): OrderState {
  const state = json as OrderState & Record<string, unknown>;
  const date = (value: unknown): Date | undefined => (typeof value === "string" ? new Date(value) : undefined);
  return {
    ...state,
    placedAt: date(state.placedAt) ?? new Date(0),
    updatedAt: date(state.updatedAt) ?? new Date(0),
    held: state.held && {
      ...state.held,
      showStartsAt: date(state.held.showStartsAt) ?? new Date(0),
      holdExpiresAt: date(state.held.holdExpiresAt),
    },
    tickets: state.tickets.map((t) => ({ ...t, checkedInAt: date(t.checkedInAt) })),
  };
}
