import type { Show } from "./show.js";

export type OrganizationRole = "organizer" | "door_staff";

/** Who calls, as the access token says: roles per organization. */
export interface Caller {
  userId: string;
  roles: Readonly<Record<string, readonly OrganizationRole[]>>;
}

/** Only organizers write their organization's shows; door staff only read them. */
export function canEditShows(caller: Caller, organizationId: string): boolean {
  return caller.roles[organizationId]?.includes("organizer") ?? false;
}

/** Anyone in the organization (organizer or door staff) sees its drafts. */
export function canSeeDrafts(caller: Caller | undefined, organizationId: string): boolean {
  return (caller?.roles[organizationId]?.length ?? 0) > 0;
}

/** Published shows are public; a draft only exists for its organization. */
export function isVisibleTo(show: Show, caller: Caller | undefined): boolean {
  return show.status === "published" || canSeeDrafts(caller, show.organizationId);
}
