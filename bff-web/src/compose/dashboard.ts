import { compose } from "@marquee/platform/compose";
import { hasRole, type Principal } from "@marquee/platform";
import type { SalesFigures } from "@marquee/proto/marquee/query/v1/query_service";
import { withinDeadline } from "@marquee/platform/web/deadline";
import type { WebDeps } from "../deps.js";
import { organizationView, type OrganizationView } from "../views/account.js";
import { moneyView, type MoneyView } from "../views/money.js";
import { showView, type ShowView } from "../views/show.js";

/** What a show (or an organization) sold, from the query service's organizer-sales read model. */
export interface SalesView {
  ticketsSold: number;
  ticketsCancelled: number;
  ticketsCheckedIn: number;
  ordersConfirmed: number;
  ordersCancelled: number;
  /** Per currency: confirmed orders' totals, refunds of cancelled ones, and the difference. */
  revenue: { gross: MoneyView | null; refunded: MoneyView | null; net: MoneyView | null }[];
}

export interface DashboardShow extends ShowView {
  /** null when sales could not be had in time (then "sales" is degraded). */
  sales: SalesView | null;
}

export interface DashboardOrganization {
  organizationId: string;
  organization: OrganizationView | null;
  /** The organization's totals over all its shows; null when "sales" is degraded. */
  totals: SalesView | null;
  shows: DashboardShow[];
}

export interface Dashboard {
  organizations: DashboardOrganization[];
  degraded: string[];
}

const SHOWS_PER_ORGANIZATION = 100;

/**
 * The organizer's dashboard: every organization they organize (from their token's roles), its
 * shows (drafts too, from catalog) and their sales (the query service's organizer-sales read
 * model), in parallel under one deadline. Shows are required; names and sales degrade.
 */
export function dashboard(deps: WebDeps, principal: Principal): Promise<Dashboard> {
  const { catalog, query } = deps.clients;
  const organizationIds = Object.keys(principal.roles).filter((id) => hasRole(principal, id, "organizer"));
  return withinDeadline(deps.config.COMPOSE_DEADLINE_MS, async () => {
    const shows = Promise.all(
      organizationIds.map(async (organizationId) => {
        const listed = await catalog.listShows({
          text: "",
          tag: "",
          organizationId,
          pageSize: SHOWS_PER_ORGANIZATION,
          pageToken: "",
        });
        return listed.shows;
      }),
    );
    const parts = await compose(
      {
        shows: () => shows,
        organizations: () => Promise.all(organizationIds.map((id) => deps.organizations.get(id))),
        sales: () =>
          Promise.all(organizationIds.map((organizationId) => query.listOrganizationSales({ organizationId }))),
      },
      { deadlineMs: deps.config.COMPOSE_DEADLINE_MS, required: ["shows"], logger: deps.logger },
    );
    return {
      organizations: organizationIds.map((organizationId, index) => {
        const sales = parts.sales?.[index];
        const byShow = new Map(sales?.shows.map((show) => [show.showId, show.totals]));
        return {
          organizationId,
          organization: organizationView(parts.organizations?.[index]),
          totals: sales ? salesView(sales.totals) : null,
          // A show the read model does not list has sold nothing yet.
          shows: (parts.shows?.[index] ?? []).map((show) => ({
            ...showView(show),
            sales: sales ? salesView(byShow.get(show.showId)) : null,
          })),
        };
      }),
      degraded: parts.degraded,
    };
  });
}

function salesView(figures: SalesFigures | undefined): SalesView {
  return {
    ticketsSold: figures?.ticketsSold ?? 0,
    ticketsCancelled: figures?.ticketsCancelled ?? 0,
    ticketsCheckedIn: figures?.ticketsCheckedIn ?? 0,
    ordersConfirmed: figures?.ordersConfirmed ?? 0,
    ordersCancelled: figures?.ordersCancelled ?? 0,
    revenue: (figures?.revenue ?? []).map((r) => ({
      gross: moneyView(r.gross),
      refunded: moneyView(r.refunded),
      net: moneyView(r.net),
    })),
  };
}
