import { bindService, validate, type ServiceBinding } from "@marquee/platform";
import { WALLET_ADMIN_ACCESS } from "@marquee/proto/access";
import { WalletAdminServiceService } from "@marquee/proto/marquee/wallet/v1/wallet_admin_service";
import { getOrderLedgerAsOf } from "../../app/get-order-ledger-as-of.js";
import type { WalletDeps } from "../../app/ports.js";
import { schemas } from "../request-schemas.js";
import { orderLedgerToProto } from "./mapping.js";

/** Operators only (WALLET_ADMIN_ACCESS): the operator certificate, or bff-ops for an operator user. */
export function walletAdminService(deps: WalletDeps): ServiceBinding {
  return bindService(WalletAdminServiceService, WALLET_ADMIN_ACCESS, {
    getOrderLedgerAsOf: async (request) => {
      const { orderId, at } = validate(schemas.getOrderLedgerAsOf, request);
      return orderLedgerToProto(await getOrderLedgerAsOf(deps, orderId, at));
    },
  });
}
