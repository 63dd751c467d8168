import { bindService, validate, type ServiceBinding } from "@marquee/platform";
import { INVENTORY_ACCESS } from "@marquee/proto/access";
import { InventoryServiceService } from "@marquee/proto/marquee/inventory/v1/inventory_service";
import { confirmSeats, holdExpired } from "../../app/confirm-seats.js";
import { getAvailability } from "../../app/get-availability.js";
import type { InventoryDeps } from "../../app/ports.js";
import { releaseSeats } from "../../app/release-seats.js";
import { reserveSeats } from "../../app/reserve-seats.js";
import { holdToProto, reservationToProto, tierToProto } from "./mapping.js";
import { schemas } from "./schemas.js";

/**
 * gRPC edge of inventory: validate the request, run the use case, map the answer.
 * ReserveSeats, ReleaseSeats and ConfirmSeats are internal, for the orders saga: no end user is
 * behind those calls, so they take no user token. What guards them is the network: the
 * Kubernetes NetworkPolicy of this service admits only the callers it serves (orders; the BFFs
 * and query for GetAvailability).
 */
export function inventoryService(deps: InventoryDeps): ServiceBinding {
  return bindService(InventoryServiceService, INVENTORY_ACCESS, {
    reserveSeats: async (request) =>
      reservationToProto(await reserveSeats(deps, validate(schemas.reserveSeats, request))),
    releaseSeats: async (request) => {
      const { orderId, reason } = validate(schemas.releaseSeats, request);
      return { released: await releaseSeats(deps, orderId, reason) };
    },
    confirmSeats: async (request) => {
      const { orderId } = validate(schemas.confirmSeats, request);
      const confirmation = await confirmSeats(deps, orderId);
      if (!confirmation.confirmed) throw holdExpired(orderId);
      return { hold: holdToProto(confirmation.hold) };
    },
    getAvailability: async (request) => {
      const { showIds } = validate(schemas.getAvailability, request);
      return { tiers: (await getAvailability(deps, showIds)).map(tierToProto) };
    },
  });
}
