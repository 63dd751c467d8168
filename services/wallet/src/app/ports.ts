import type { IncomingEvent, OutgoingEvent } from "@marquee/platform";
import type { WalletAccount } from "../domain/account.js";
import type { StatementCursor, StatementLine } from "../domain/statement.js";
import type { LedgerTransaction, OrderCharge, TransactionRecord } from "../domain/transaction.js";

/** The ledger inside one database transaction: what a use case reads it decides on, under lock. */
export interface Ledger {
  /** Serializes every charge and refund of one order until this transaction ends. */
  lockOrder(orderId: string): Promise<void>;
  /** The owner's account, locked until this transaction ends. */
  lockAccount(accountId: string): Promise<WalletAccount | undefined>;
  /** The owner's account, opened in `currency` if it has none yet, locked. */
  openAccount(accountId: string, currency: string): Promise<WalletAccount>;
  findDeposit(accountId: string, idempotencyKey: string): Promise<TransactionRecord | undefined>;
  findCharge(orderId: string): Promise<OrderCharge | undefined>;
  findRefund(orderId: string): Promise<TransactionRecord | undefined>;
  /**
   * Writes the transaction, its entries and the owners' new balances; resolves with the owner's
   * account after it (undefined when no entry touched it). An unbalanced one never commits.
   */
  post(transaction: LedgerTransaction): Promise<WalletAccount | undefined>;
  /** What charging the order is decided on, in one read: its recorded charge, whether it was voided, the account. */
  chargeContext(orderId: string, accountId: string): Promise<ChargeContext>;
  /**
   * The charge decision in one write: for CHARGED, the owner's balance is debited only if it still
   * covers the amount (else nothing is written: false), with the transaction, its entries, the
   * charge record and `event`; for INSUFFICIENT_FUNDS, the record and `event`.
   */
  writeCharge(charge: OrderCharge, transaction: LedgerTransaction | undefined, event: OutgoingEvent): Promise<boolean>;
  voidOrder(orderId: string, reason: string, at: Date): Promise<void>;
  /** Events committed with this transaction (outbox). */
  publish(events: OutgoingEvent[]): Promise<void>;
}

export interface ChargeContext {
  recorded: OrderCharge | undefined;
  voided: boolean;
  account: WalletAccount | undefined;
}

export interface WalletStore {
  /**
   * Runs `work` in one database transaction. When a concurrent call took a unique key first (the
   * same deposit key), `work` runs again and finds what that call wrote.
   */
  transact<T>(work: (ledger: Ledger) => Promise<T>): Promise<T>;
  findAccount(accountId: string): Promise<WalletAccount | undefined>;
  /** The order's charge and refund transactions with their entries (none for an order never charged). */
  orderTransactions(orderId: string): Promise<LedgerTransaction[]>;
  /** Newest first; lines after `after` in that order. */
  statement(accountId: string, limit: number, after: StatementCursor | undefined): Promise<StatementLine[]>;
}

export interface WalletEvents {
  fundsDeposited(deposit: TransactionRecord): OutgoingEvent;
  fundsCharged(charge: OrderCharge): OutgoingEvent;
  insufficientFunds(charge: OrderCharge): OutgoingEvent;
  fundsRefunded(refund: TransactionRecord): OutgoingEvent;
}

export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  newId(): string;
}

export interface WalletDeps {
  store: WalletStore;
  events: WalletEvents;
  clock: Clock;
  ids: IdGenerator;
}

/**
 * Wraps a consumer's handler so each event's effect applies exactly once, `deps` bound to the
 * transaction that records the event as processed (implemented by adapters/postgres/inbox.ts).
 */
export type Inbox = (
  durable: string,
  handle: (event: IncomingEvent, deps: WalletDeps) => Promise<void>,
) => (event: IncomingEvent) => Promise<void>;
