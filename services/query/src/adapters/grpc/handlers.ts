import {
  bindService,
  validate,
  type AuditLog,
  type Principal,
  type ServiceBinding,
  type TokenVerifier,
} from "@marquee/platform";
import { QUERY_ACCESS } from "@marquee/proto/access";
import { QueryServiceService } from "@marquee/proto/marquee/query/v1/query_service";
import { getMyOrder } from "../../app/get-my-order.js";
import { getProjectionStatus } from "../../app/get-projection-status.js";
import { getShowAvailability } from "../../app/get-show-availability.js";
import { getShowSales } from "../../app/get-show-sales.js";
import { listMyOrders } from "../../app/list-my-orders.js";
import { listMyTickets } from "../../app/list-my-tickets.js";
import { listOrganizationSales } from "../../app/list-organization-sales.js";
import { listPartnerOrders } from "../../app/list-partner-orders.js";
import type { Caller, ProjectionDeps, QueryDeps } from "../../app/ports.js";
import type { RebuildJobs } from "../../app/rebuild-jobs.js";
import { requestRebuild } from "../../app/request-rebuild.js";
import {
  availabilityToProto,
  myTicketToProto,
  orderToProto,
  organizationSalesToProto,
  progressToProto,
  showSalesToProto,
  statusToProto,
} from "./mapping.js";
import { orderPageToken, ticketPageToken } from "./page-token.js";
import { schemas } from "./schemas.js";

const callerOf = (principal: Principal): Caller => ({
  kind: principal.kind,
  id: principal.userId,
  roles: principal.roles,
});

/**
 * gRPC edge of the read side: who calls, is the request well-formed, run the query, map the
 * answer. GetProjectionStatus and RebuildProjection are for operators (the operator certificate:
 * the rebuild CLI, grpcurl; or the console for an operator user); a rebuild is audited.
 */
export function queryService(
  deps: QueryDeps,
  projections: ProjectionDeps,
  jobs: RebuildJobs,
  verifier: TokenVerifier,
  audit: AuditLog,
): ServiceBinding {
  const user = async () => callerOf(await verifier.requireUser());
  const anyone = async () => callerOf(await verifier.requirePrincipal());

  return bindService(QueryServiceService, QUERY_ACCESS, {
    listMyOrders: async (request) => {
      const caller = await user();
      const page = await listMyOrders(deps, caller, validate(schemas.listMyOrders, request));
      return {
        orders: page.orders.map(orderToProto),
        nextPageToken: page.next ? orderPageToken.encode(page.next) : "",
      };
    },
    getMyOrder: async (request, call) => {
      const caller = await user();
      const { orderId, minVersion } = validate(schemas.getMyOrder, request);
      const order = await getMyOrder(deps, caller, {
        orderId,
        minVersion,
        deadline: call.deadline,
        signal: call.signal,
      });
      return { order: orderToProto(order) };
    },
    listMyTickets: async (request) => {
      const caller = await user();
      const page = await listMyTickets(deps, caller, validate(schemas.listMyTickets, request));
      return {
        tickets: page.tickets.map(myTicketToProto),
        nextPageToken: page.next ? ticketPageToken.encode(page.next) : "",
      };
    },
    getShowSales: async (request) => {
      const caller = await anyone();
      const sales = await getShowSales(deps, caller, validate(schemas.getShowSales, request).showId);
      return { sales: showSalesToProto(sales) };
    },
    listOrganizationSales: async (request) => {
      const caller = await anyone();
      const { organizationId } = validate(schemas.listOrganizationSales, request);
      return organizationSalesToProto(await listOrganizationSales(deps, caller, organizationId));
    },
    getShowAvailability: async (request) => {
      const { showIds } = validate(schemas.getShowAvailability, request);
      return { shows: (await getShowAvailability(deps, showIds)).map(availabilityToProto) };
    },
    listPartnerOrders: async (request) => {
      const caller = await anyone();
      const page = await listPartnerOrders(deps, caller, validate(schemas.listPartnerOrders, request));
      return {
        orders: page.orders.map(orderToProto),
        nextPageToken: page.next ? orderPageToken.encode(page.next) : "",
      };
    },
    getProjectionStatus: async (request) => {
      const { projection } = validate(schemas.getProjectionStatus, request);
      return { projections: (await getProjectionStatus(projections, jobs, projection)).map(statusToProto) };
    },
    rebuildProjection: async function* (request, call) {
      const { projection, reason } = validate(schemas.rebuildProjection, request);
      const run = await requestRebuild(audit, jobs, projection, reason);
      for await (const progress of run.follow(call.signal)) {
        yield { projection, progress: progressToProto(progress) };
      }
    },
  });
}
