import { createClient } from "@marquee/platform";
import { ChargeOutcome, WalletServiceClient } from "@marquee/proto/marquee/wallet/v1/wallet_service";
import type { Charge, WalletGateway } from "../../app/ports.js";
import type { Money } from "../../domain/order.js";

/** wallet over gRPC; charge and refund are idempotent by order id, so both are retried on UNAVAILABLE. */
export function walletGateway(address: string, timeoutMs: number): WalletGateway & { close(): void } {
  const client = createClient(WalletServiceClient, address, {
    defaultTimeoutMs: timeoutMs,
    idempotentMethods: ["ChargeForOrder", "RefundOrder"],
  });
  const wallet = client.call;
  return {
    async chargeForOrder(orderId: string, accountId: string, amount: Money): Promise<Charge> {
      const response = await wallet.chargeForOrder({ orderId, accountId, amount });
      if (response.outcome === ChargeOutcome.CHARGE_OUTCOME_CHARGED) {
        return { outcome: "charged", transactionId: response.transactionId };
      }
      if (response.outcome === ChargeOutcome.CHARGE_OUTCOME_INSUFFICIENT_FUNDS)
        return { outcome: "insufficient_funds" };
      throw new Error(`unexpected charge outcome ${response.outcome}`);
    },
    async refundOrder(orderId: string, reason: string): Promise<void> {
      await wallet.refundOrder({ orderId, reason });
    },
    close: () => client.close(),
  };
}
