import { hasRole, permissionDenied, type Principal } from "@marquee/platform";
import type { OrdersDeps, SalesReport } from "./ports.js";

/** An organization's sales report, for its organizers only. */
export async function getSalesReport(deps: OrdersDeps, staff: Principal, organizationId: string): Promise<SalesReport> {
  if (!hasRole(staff, organizationId, "organizer")) {
    throw permissionDenied("only organizers of the organization see its sales report");
  }
  return deps.salesReports.read(organizationId);
}
