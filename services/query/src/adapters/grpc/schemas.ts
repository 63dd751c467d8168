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

/** An operator's reason for an audited action: required, a note (the audit log's own limit). */
export const MAX_REASON_LENGTH = 2_000;
const reason = z
  .string()
  .trim()
  .min(1, "say why (kept in the audit log)")
  .max(MAX_REASON_LENGTH, `at most ${MAX_REASON_LENGTH} characters`);

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
  rebuildProjection: z.object({ projection, reason }),
};
