import {
  ChargeOutcome,
  EntryKind,
  type ChargeForOrderResponse,
  type StatementEntry,
} from "@marquee/proto/marquee/wallet/v1/wallet_service";
import type { GetOrderLedgerAsOfResponse } from "@marquee/proto/marquee/wallet/v1/wallet_admin_service";
import type { TransactionKind } from "../../domain/ledger.js";
import type { OrderLedgerAsOf } from "../../domain/order-ledger.js";
import type { StatementLine } from "../../domain/statement.js";
import type { OrderCharge } from "../../domain/transaction.js";

const ENTRY_KINDS: Record<TransactionKind, EntryKind> = {
  DEPOSIT: EntryKind.ENTRY_KIND_DEPOSIT,
  CHARGE: EntryKind.ENTRY_KIND_CHARGE,
  REFUND: EntryKind.ENTRY_KIND_REFUND,
};

export const chargeToProto = (charge: OrderCharge): ChargeForOrderResponse => ({
  outcome:
    charge.outcome === "CHARGED"
      ? ChargeOutcome.CHARGE_OUTCOME_CHARGED
      : ChargeOutcome.CHARGE_OUTCOME_INSUFFICIENT_FUNDS,
  transactionId: charge.transactionId ?? "",
  balance: charge.balance,
});

export const lineToProto = (line: StatementLine): StatementEntry => ({
  transactionId: line.transactionId,
  kind: ENTRY_KINDS[line.kind],
  amount: line.amount,
  balanceAfter: line.balanceAfter,
  orderId: line.orderId ?? "",
  occurredAt: line.occurredAt,
});

export const orderLedgerToProto = (ledger: OrderLedgerAsOf): GetOrderLedgerAsOfResponse => ({
  entries: ledger.entries.map((entry) => ({
    transactionId: entry.transactionId,
    kind: ENTRY_KINDS[entry.kind],
    account: entry.accountId,
    amount: entry.amount,
    at: entry.at,
  })),
  netCharged: ledger.netCharged,
});
