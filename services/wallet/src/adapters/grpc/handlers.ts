import { bindService, validate, type ServiceBinding, type TokenVerifier } from "@marquee/platform";
import { WALLET_ACCESS } from "@marquee/proto/access";
import { WalletServiceService } from "@marquee/proto/marquee/wallet/v1/wallet_service";
import { chargeForOrder } from "../../app/charge-for-order.js";
import { deposit } from "../../app/deposit.js";
import { getBalance } from "../../app/get-balance.js";
import { getStatement } from "../../app/get-statement.js";
import type { WalletDeps } from "../../app/ports.js";
import { refundOrder } from "../../app/refund-order.js";
import { chargeToProto, lineToProto } from "./mapping.js";
import { statementPageToken } from "./page-token.js";
import { schemas } from "../request-schemas.js";

/** gRPC edge of the wallet: authenticate the caller, validate the request, run the use case, map the answer. */
export function walletService(deps: WalletDeps, verifier: TokenVerifier): ServiceBinding {
  // A wallet belongs to a user or a partner client: the token's subject either way.
  const caller = async () => (await verifier.requirePrincipal()).userId;
  return bindService(WalletServiceService, WALLET_ACCESS, {
    deposit: async (request) => {
      const depositor = await caller();
      return deposit(deps, depositor, validate(schemas.deposit, request));
    },
    // ChargeForOrder and RefundOrder take no token: only the orders saga may call them (WALLET_ACCESS).
    chargeForOrder: async (request) =>
      chargeToProto(await chargeForOrder(deps, validate(schemas.chargeForOrder, request))),
    refundOrder: async (request) => refundOrder(deps, validate(schemas.refundOrder, request)),
    getBalance: async (request) => {
      const callerId = await caller();
      return { balance: await getBalance(deps, callerId, validate(schemas.getBalance, request).accountId) };
    },
    getStatement: async (request) => {
      const callerId = await caller();
      const { lines, next } = await getStatement(deps, callerId, validate(schemas.getStatement, request));
      return { entries: lines.map(lineToProto), nextPageToken: next ? statementPageToken.encode(next) : "" };
    },
  });
}
