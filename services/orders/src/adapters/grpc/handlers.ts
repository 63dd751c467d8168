import { bindService, validate, type ServiceBinding, type TokenVerifier } from "@marquee/platform";
import { ORDERS_ACCESS } from "@marquee/proto/access";
import { OrdersServiceService, type ReadEventsResponse } from "@marquee/proto/marquee/orders/v1/orders_service";
import { cancelOrder } from "../../app/cancel-order.js";
import { checkInTicket } from "../../app/check-in-ticket.js";
import { editOrder } from "../../app/edit-order.js";
import { getOrderAsOf } from "../../app/get-order-as-of.js";
import { getOrderHistory } from "../../app/get-order-history.js";
import { getOrder } from "../../app/get-order.js";
import { getSalesReport } from "../../app/get-sales-report.js";
import { listOrders } from "../../app/list-orders.js";
import { placeOrder } from "../../app/place-order.js";
import type { Caller, LoggedEvent, OrderEventLog, OrdersDeps, TicketSigner } from "../../app/ports.js";
import { readEventLog } from "../../app/read-events.js";
import { orderEventToJson } from "../order-event-codec.js";
import { orderToProto } from "./mapping.js";
import { schemas } from "./schemas.js";

/** ReadEventPages: events per message, and about as many bytes (well under gRPC's 4 MiB limit). */
const EVENTS_PER_MESSAGE = 1_000;
const BYTES_PER_MESSAGE = 512 * 1024;
/** Ids, type name, position and time around each payload. */
const EVENT_OVERHEAD_BYTES = 160;

function toReadEvent(e: LoggedEvent, endPosition: number): ReadEventsResponse {
  return {
    position: e.position,
    streamId: e.streamId,
    version: e.version,
    type: e.typeName,
    payload: e.payload,
    recordedAt: e.recordedAt,
    eventId: e.eventId,
    endPosition,
  };
}

/** gRPC edge of orders: who calls, is the request well-formed, run the use case, map the answer. */
export function ordersService(
  deps: OrdersDeps,
  verifier: TokenVerifier,
  signer: TicketSigner,
  eventLog: OrderEventLog,
): ServiceBinding {
  // Users and partner clients (through the partner API) both buy; each sees only its own orders.
  const caller = async (): Promise<Caller> => {
    const principal = await verifier.requirePrincipal();
    return { kind: principal.kind, id: principal.userId };
  };
  const order = async (state: Parameters<typeof orderToProto>[0]) => ({ order: await orderToProto(state, signer) });

  return bindService(OrdersServiceService, ORDERS_ACCESS, {
    placeOrder: async (request) => {
      const who = await caller();
      return order(await placeOrder(deps, who, validate(schemas.placeOrder, request)));
    },
    getOrder: async (request) => {
      const who = await caller();
      return order(await getOrder(deps, who, validate(schemas.orderId, request).orderId));
    },
    listOrders: async (request) => {
      const who = await caller();
      const { pageSize, pageToken } = validate(schemas.listOrders, request);
      const page = await listOrders(deps, who, pageSize, pageToken || undefined);
      return {
        orders: await Promise.all(page.orders.map((o) => orderToProto(o, signer))),
        nextPageToken: page.nextPageToken ?? "",
      };
    },
    cancelOrder: async (request) => {
      const who = await caller();
      const { orderId, reason } = validate(schemas.cancelOrder, request);
      return order(await cancelOrder(deps, who, orderId, reason || "BUYER_REQUEST"));
    },
    editOrder: async (request) => {
      const who = await caller();
      return order(await editOrder(deps, who, validate(schemas.editOrder, request)));
    },
    checkInTicket: async (request) => {
      const staff = await verifier.requireUser();
      const { ticketCode } = validate(schemas.checkInTicket, request);
      const result = await checkInTicket(deps, staff, ticketCode);
      const proto = await orderToProto(result.order, signer);
      return {
        orderId: proto.orderId,
        ticket: proto.tickets.find((t) => t.ticketCode === result.ticketCode),
        showId: proto.showId,
      };
    },
    getOrderHistory: async (request) => {
      const who = await caller();
      const events = await getOrderHistory(deps, who, validate(schemas.orderId, request).orderId);
      return {
        events: events.map((e) => ({
          version: e.version,
          type: `marquee.orders.events.v1.${e.event.type}`,
          recordedAt: e.recordedAt,
          actor: e.actor,
          eventId: e.eventId,
          causationId: e.causationId ?? "",
          correlationId: e.correlationId ?? "",
          payloadJson: orderEventToJson(e.event),
        })),
      };
    },
    getOrderAsOf: async (request) => {
      const who = await caller();
      const { orderId, asOf } = validate(schemas.getOrderAsOf, request);
      const point = asOf.$case === "version" ? { version: asOf.value } : { at: asOf.value };
      return order(await getOrderAsOf(deps, who, orderId, point));
    },
    getTicketKeys: async () => ({ jwks: await signer.publicKeys() }),
    getSalesReport: async (request) => {
      const staff = await verifier.requireUser();
      const { organizationId } = validate(schemas.getSalesReport, request);
      const report = await getSalesReport(deps, staff, organizationId);
      return {
        organizationId,
        rows: report.rows.map((row) => ({
          showId: row.showId,
          tierId: row.tierId,
          ticketsSold: row.ticketsSold,
          ticketsCancelled: row.ticketsCancelled,
          ticketsCheckedIn: row.ticketsCheckedIn,
          gross: { amountMinor: row.grossMinor, currency: row.currency },
          refunded: { amountMinor: row.refundedMinor, currency: row.currency },
          net: { amountMinor: row.grossMinor - row.refundedMinor, currency: row.currency },
        })),
        refreshedAt: report.refreshedAt,
      };
    },
    // Internal (the query service rebuilding projections); NetworkPolicies restrict callers.
    readEvents: async function* (request, call) {
      for await (const page of readEventLog(eventLog, validate(schemas.readEvents, request), call.signal)) {
        for (const e of page.events) yield toReadEvent(e, page.endPosition);
      }
    },
    readEventPages: async function* (request, call) {
      for await (const page of readEventLog(eventLog, validate(schemas.readEvents, request), call.signal)) {
        let events: ReadEventsResponse[] = [];
        let bytes = 0;
        for (const e of page.events) {
          events.push(toReadEvent(e, page.endPosition));
          bytes += e.payload.length + EVENT_OVERHEAD_BYTES;
          if (events.length >= EVENTS_PER_MESSAGE || bytes >= BYTES_PER_MESSAGE) {
            yield { events };
            events = [];
            bytes = 0;
          }
        }
        if (events.length > 0) yield { events };
      }
    },
  });
}
