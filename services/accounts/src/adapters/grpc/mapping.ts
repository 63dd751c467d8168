import { Role, type Membership as MembershipMessage } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import type { Membership, OrganizationRole } from "../../domain/organization.js";
import type { PartnerApiKey } from "../../domain/partner.js";

export const roleFromProto = (role: Role.ROLE_ORGANIZER | Role.ROLE_DOOR_STAFF): OrganizationRole =>
  role === Role.ROLE_ORGANIZER ? "organizer" : "door_staff";

export const roleToProto = (role: OrganizationRole): Role =>
  role === "organizer" ? Role.ROLE_ORGANIZER : Role.ROLE_DOOR_STAFF;

export const membershipToProto = (m: Membership): MembershipMessage => ({
  organizationId: m.organizationId,
  userId: m.userId,
  role: roleToProto(m.role),
});

export const keyToProto = (key: PartnerApiKey) => ({
  keyId: key.keyId,
  partnerClientId: key.partnerClientId,
  createdAt: key.createdAt,
  revokedAt: key.revokedAt,
});
