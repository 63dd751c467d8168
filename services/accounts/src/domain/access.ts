import { rolesByOrganization, type Membership, type OrganizationRole } from "./organization.js";

/** What a user's access token says they may do: roles per organization, and whether they run the platform. */
export interface Access {
  roles: Record<string, OrganizationRole[]>;
  /** The operator role (the operations console admits them); false for everyone else. */
  operator: boolean;
}

/** A user's access from their memberships and whether they hold the operator role. */
export function accessOf(memberships: Membership[], operator: boolean): Access {
  return { roles: rolesByOrganization(memberships), operator };
}
