export type OrganizationRole = "organizer" | "door_staff";

/** Who calls, as the access token says. */
export interface Caller {
  kind: "user" | "partner";
  id: string;
  roles: Readonly<Record<string, readonly OrganizationRole[]>>;
}

/** Sales figures are for the organization's organizers only (door staff check tickets, not money). */
export function canSeeSales(caller: Caller, organizationId: string): boolean {
  return caller.kind === "user" && (caller.roles[organizationId]?.includes("organizer") ?? false);
}
