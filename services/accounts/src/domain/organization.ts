export type OrganizationRole = "organizer" | "door_staff";

export interface Organization {
  organizationId: string;
  name: string;
  createdByUserId: string;
  createdAt: Date;
}

export interface Membership {
  organizationId: string;
  userId: string;
  role: OrganizationRole;
}

export const ORGANIZATION_NAME_RULES = { minLength: 2, maxLength: 120 } as const;

/** Only an organizer of an organization manages its members. */
export function canManageMembers(memberships: Membership[], organizationId: string): boolean {
  return memberships.some((m) => m.organizationId === organizationId && m.role === "organizer");
}

/** Roles per organization, as carried in the access token. */
export function rolesByOrganization(memberships: Membership[]): Record<string, OrganizationRole[]> {
  const roles: Record<string, OrganizationRole[]> = {};
  for (const { organizationId, role } of memberships) {
    const list = (roles[organizationId] ??= []);
    if (!list.includes(role)) list.push(role);
  }
  return roles;
}
