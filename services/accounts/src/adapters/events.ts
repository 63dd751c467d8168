import { newEvent } from "@marquee/platform";
import { AccountsEvents as T } from "@marquee/proto/events";
import type { AccountsEvents } from "../app/ports.js";

export function accountsEvents(namespace: string): AccountsEvents {
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
