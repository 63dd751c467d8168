import { bindService, validate, type ServiceBinding } from "@marquee/platform";
import { INVENTORY_ADMIN_ACCESS } from "@marquee/proto/access";
import { InventoryAdminServiceService } from "@marquee/proto/marquee/inventory/v1/inventory_admin_service";
import { getOrderSeatsAsOf } from "../../app/get-order-seats-as-of.js";
import type { InventoryDeps } from "../../app/ports.js";
import { seatsAsOfToProto } from "./mapping.js";
import { schemas } from "./schemas.js";

/** Operators only (INVENTORY_ADMIN_ACCESS): the operator certificate, or bff-ops for an operator user. */
export function inventoryAdminService(deps: InventoryDeps): ServiceBinding {
  return bindService(InventoryAdminServiceService, INVENTORY_ADMIN_ACCESS, {
    getOrderSeatsAsOf: async (request) => {
      const { orderId, at } = validate(schemas.getOrderSeatsAsOf, request);
      return seatsAsOfToProto(await getOrderSeatsAsOf(deps, orderId, at));
    },
  });
}
