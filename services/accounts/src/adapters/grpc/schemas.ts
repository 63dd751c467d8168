import { z } from "zod";
import { Role } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { ORGANIZATION_NAME_RULES } from "../../domain/organization.js";
import { DISPLAY_NAME_RULES, PASSWORD_RULES } from "../../domain/user.js";

const name = (rules: { minLength: number; maxLength: number }) =>
  z.string().trim().min(rules.minLength).max(rules.maxLength);

export const schemas = {
  registerUser: z.object({
    email: z.email().max(254),
    displayName: name(DISPLAY_NAME_RULES),
    password: z.string().min(PASSWORD_RULES.minLength).max(PASSWORD_RULES.maxLength),
  }),
  authenticate: z.object({
    email: z.string().min(1).max(254),
    password: z.string().min(1).max(PASSWORD_RULES.maxLength),
  }),
  getUser: z.object({ userId: z.uuid() }),
  createOrganization: z.object({ name: name(ORGANIZATION_NAME_RULES) }),
  getOrganization: z.object({ organizationId: z.uuid() }),
  addMember: z.object({
    organizationId: z.uuid(),
    userId: z.uuid(),
    role: z.union([z.literal(Role.ROLE_ORGANIZER), z.literal(Role.ROLE_DOOR_STAFF)], {
      error: "must be ROLE_ORGANIZER or ROLE_DOOR_STAFF",
    }),
  }),
  createPartnerClient: z.object({ name: name(ORGANIZATION_NAME_RULES) }),
  createPartnerApiKey: z.object({ partnerClientId: z.uuid() }),
  revokePartnerApiKey: z.object({ keyId: z.uuid() }),
  verifyApiKey: z.object({ apiKey: z.string().min(1).max(200) }),
  refreshSession: z.object({ refreshToken: z.string().min(1).max(200) }),
  endSession: z.object({ refreshToken: z.string().min(1).max(200) }),
  grantOperator: z.object({ email: z.email().max(254), operator: z.boolean() }),
};
