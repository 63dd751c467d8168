import { compose, DomainError } from "@marquee/platform";
import { asRequiredPartError, withinDeadline } from "@marquee/platform/web/deadline";
import type { OpsDeps } from "../deps.js";
import { eventMarkView, ledgerView, momentsOf, orderView, seatsView, type OrderAsOf } from "../views/order.js";

/**
 * One order as it was at `at`, across services, in parallel under one deadline: orders' fold of
 * its events up to then (required: an unknown order is a 404), wallet's ledger entries for it and
 * inventory's seats for it at that moment (each left out, `degraded`, when it does not answer).
 */
export async function orderAsOf(deps: OpsDeps, orderId: string, at: Date): Promise<OrderAsOf> {
  const { ordersAdmin, walletAdmin, inventoryAdmin } = deps.clients;
  const deadlineMs = deps.config.COMPOSE_DEADLINE_MS;
  return withinDeadline(deadlineMs, async () => {
    const parts = await compose(
      {
        orders: () => ordersAdmin.inspectOrderAsOf({ orderId, at }),
        wallet: () => walletAdmin.getOrderLedgerAsOf({ orderId, at }),
        inventory: () => inventoryAdmin.getOrderSeatsAsOf({ orderId, at }),
      },
      { deadlineMs, logger: deps.logger, required: ["orders"] },
    ).catch((error: unknown) => {
      throw asRequiredPartError("the order", error);
    });
    const inspected = parts.orders;
    if (!inspected?.order && (inspected?.events.length ?? 0) === 0) throw notFound(`no order ${orderId}`);
    const events = (inspected?.events ?? []).map(eventMarkView);
    const ledger = parts.wallet ? ledgerView(parts.wallet) : null;
    const seats = parts.inventory ? seatsView(parts.inventory) : null;
    return {
      orderId,
      at: at.toISOString(),
      order: inspected?.order ? orderView(inspected.order) : null,
      events,
      moments: momentsOf(events, seats, ledger),
      ledger,
      seats,
      degraded: parts.degraded,
    };
  });
}

const notFound = (message: string) => new DomainError("not_found", message);
