import { eventType, newEvent } from "@marquee/platform";
import {
  MemberAdded,
  OrganizationCreated,
  PartnerClientCreated,
  UserRegistered,
} from "@marquee/proto/marquee/accounts/events/v1/events";
import type { AccountsEvents } from "../app/ports.js";

const CONTEXT = "accounts";
const PACKAGE = "marquee.accounts.events.v1";

export const AccountsEventTypes = {
  userRegistered: eventType(CONTEXT, "user_registered", `${PACKAGE}.UserRegistered`, UserRegistered),
  organizationCreated: eventType(CONTEXT, "organization_created", `${PACKAGE}.OrganizationCreated`, OrganizationCreated),
  memberAdded: eventType(CONTEXT, "member_added", `${PACKAGE}.MemberAdded`, MemberAdded),
  partnerClientCreated: eventType(
    CONTEXT,
    "partner_client_created",
    `${PACKAGE}.PartnerClientCreated`,
    PartnerClientCreated,
  ),
};

export function accountsEvents(namespace: string): AccountsEvents {
  const T = AccountsEventTypes;
  return {
    userRegistered: (user) =>
      newEvent(namespace, T.userRegistered, user.userId, {
        userId: user.userId,
        email: user.email,
        displayName: user.displayName,
        occurredAt: user.createdAt,
      }),
    organizationCreated: (org) =>
      newEvent(namespace, T.organizationCreated, org.organizationId, {
        organizationId: org.organizationId,
        name: org.name,
        createdByUserId: org.createdByUserId,
        occurredAt: org.createdAt,
      }),
    memberAdded: (m) =>
      newEvent(namespace, T.memberAdded, m.organizationId, {
        organizationId: m.organizationId,
        userId: m.userId,
        role: m.role === "organizer" ? "ROLE_ORGANIZER" : "ROLE_DOOR_STAFF",
        occurredAt: new Date(),
      }),
    partnerClientCreated: (client) =>
      newEvent(namespace, T.partnerClientCreated, client.partnerClientId, {
        partnerClientId: client.partnerClientId,
        name: client.name,
        ownerUserId: client.ownerUserId,
        occurredAt: client.createdAt,
      }),
  };
}
