import {
  Role,
  type Membership,
  type Organization,
  type User,
} from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { EntryKind, type StatementEntry } from "@marquee/proto/marquee/wallet/v1/wallet_service";
import { iso, moneyView, type MoneyView } from "./money.js";

export interface UserView {
  userId: string;
  email: string;
  displayName: string;
}

export function userView(user: User | undefined): UserView | null {
  return user ? { userId: user.userId, email: user.email, displayName: user.displayName } : null;
}

export interface MembershipView {
  organizationId: string;
  role: "organizer" | "door_staff" | "unknown";
}

export function membershipView(membership: Membership): MembershipView {
  const role =
    membership.role === Role.ROLE_ORGANIZER
      ? "organizer"
      : membership.role === Role.ROLE_DOOR_STAFF
        ? "door_staff"
        : "unknown";
  return { organizationId: membership.organizationId, role };
}

export interface OrganizationView {
  organizationId: string;
  name: string;
}

export function organizationView(organization: Organization | undefined): OrganizationView | null {
  return organization ? { organizationId: organization.organizationId, name: organization.name } : null;
}

const ENTRY_KINDS: Partial<Record<EntryKind, string>> = {
  [EntryKind.ENTRY_KIND_DEPOSIT]: "deposit",
  [EntryKind.ENTRY_KIND_CHARGE]: "charge",
  [EntryKind.ENTRY_KIND_REFUND]: "refund",
};

export interface StatementEntryView {
  transactionId: string;
  kind: string;
  /** Signed: positive credits the wallet, negative debits it. */
  amount: MoneyView | null;
  balanceAfter: MoneyView | null;
  orderId: string | null;
  occurredAt: string | null;
}

export function statementEntryView(entry: StatementEntry): StatementEntryView {
  return {
    transactionId: entry.transactionId,
    kind: ENTRY_KINDS[entry.kind] ?? "unknown",
    amount: moneyView(entry.amount),
    balanceAfter: moneyView(entry.balanceAfter),
    orderId: entry.orderId || null,
    occurredAt: iso(entry.occurredAt),
  };
}
