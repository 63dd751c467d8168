import { z } from "zod";
import { pageSizeField } from "@marquee/platform";
import { OrderStatus as ProtoStatus } from "@marquee/proto/marquee/query/v1/query_service";
import type { OrderStatus } from "../../domain/order-view.js";
import { PROJECTION_NAMES } from "../../domain/projections.js";
import { orderPageToken, ticketPageToken } from "./page-token.js";

const pageSize = pageSizeField;

const STATUS: Partial<Record<ProtoStatus, OrderStatus>> = {
  [ProtoStatus.ORDER_STATUS_PENDING]: "pending",
  [ProtoStatus.ORDER_STATUS_CONFIRMED]: "confirmed",
  [ProtoStatus.ORDER_STATUS_REJECTED]: "rejected",
  [ProtoStatus.ORDER_STATUS_CANCELLED]: "cancelled",
  [ProtoStatus.ORDER_STATUS_COMPLETED]: "completed",
};

const status = z
  .number()
  .int()
  .refine((value) => value === ProtoStatus.ORDER_STATUS_UNSPECIFIED || STATUS[value as ProtoStatus] !== undefined, {
    message: "is not an order status",
  })
  .transform((value) => STATUS[value as ProtoStatus]);

const orderPage = z
  .object({ pageSize, pageToken: orderPageToken.schema, status })
  .transform(({ pageSize, pageToken, status }) => ({ pageSize, after: pageToken, status }));

const projection = z.enum(PROJECTION_NAMES, { error: `must be one of ${PROJECTION_NAMES.join(", ")}` });

export const MAX_MIN_VERSION = 1_000_000;
export const MAX_SHOWS = 100;

export const schemas = {
  listMyOrders: orderPage,
  listPartnerOrders: orderPage,
  getMyOrder: z.object({ orderId: z.uuid(), minVersion: z.number().int().min(0).max(MAX_MIN_VERSION) }),
  listMyTickets: z
    .object({ pageSize, pageToken: ticketPageToken.schema })
    .transform(({ pageSize, pageToken }) => ({ pageSize, after: pageToken })),
  getShowSales: z.object({ showId: z.uuid() }),
  listOrganizationSales: z.object({ organizationId: z.uuid() }),
  getShowAvailability: z.object({ showIds: z.array(z.uuid()).min(1).max(MAX_SHOWS) }),
  getProjectionStatus: z.object({
    projection: z.union([z.literal(""), projection]).transform((name) => name || undefined),
  }),
  rebuildProjection: z.object({ projection }),
};
