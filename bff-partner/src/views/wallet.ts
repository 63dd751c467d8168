import { EntryKind, type StatementEntry } from "@marquee/proto/marquee/wallet/v1/wallet_service";
import type { StatementEntryView } from "../contract/wallet.js";
import { isoOf, moneyView } from "./money.js";

const KIND: Record<EntryKind, StatementEntryView["kind"]> = {
  [EntryKind.ENTRY_KIND_UNSPECIFIED]: "deposit",
  [EntryKind.ENTRY_KIND_DEPOSIT]: "deposit",
  [EntryKind.ENTRY_KIND_CHARGE]: "charge",
  [EntryKind.ENTRY_KIND_REFUND]: "refund",
  [EntryKind.UNRECOGNIZED]: "deposit",
};

const NO_MONEY = { amountMinor: 0, currency: "EUR" };

export function statementEntryView(entry: StatementEntry): StatementEntryView {
  return {
    transaction_id: entry.transactionId,
    kind: KIND[entry.kind],
    amount: moneyView(entry.amount ?? NO_MONEY),
    balance_after: moneyView(entry.balanceAfter ?? NO_MONEY),
    order_id: entry.orderId || null,
    occurred_at: isoOf(entry.occurredAt),
  };
}
