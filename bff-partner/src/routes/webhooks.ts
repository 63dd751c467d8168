import { randomBytes } from "node:crypto";
import type { Middleware } from "koa";
import { z } from "zod";
import { invalidArgument, notFound, pageTokenCodec } from "@marquee/platform";
import { idParams } from "../contract/common.js";
import { EVENT_TYPES } from "../contract/events.js";
import {
  createdWebhook,
  createWebhookRequest,
  deliveriesQuery,
  delivery,
  deliveryPage,
  deliveryParams,
  webhookList,
} from "../contract/webhooks.js";
import { partnerOf } from "../auth/require-partner.js";
import type { PartnerDeps } from "../deps.js";
import { route, type Route } from "../http/route.js";
import { deliveryView, webhookView } from "../views/webhook.js";
import { RefusedUrl } from "../webhooks/address-policy.js";
import { retrySpanMs } from "../webhooks/backoff.js";
import { REPLAY_WINDOW_SECONDS } from "../webhooks/signature.js";
import type { DeliveryCursor } from "../webhooks/store.js";

function signingDocs(config: PartnerDeps["config"]): string {
  const hours =
    retrySpanMs({
      baseMs: config.WEBHOOK_RETRY_BASE_MS,
      maxMs: config.WEBHOOK_RETRY_MAX_MS,
      maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
    }) / 3_600_000;
  return `Each event is POSTed as JSON with \`Marquee-Signature: t=<unix seconds>,v1=<hex>\`, where v1 is HMAC-SHA256 with the endpoint's secret over \`<t>.<raw body>\`; refuse signatures whose t is more than ${REPLAY_WINDOW_SECONDS / 60} minutes away from your clock. Answer 2xx within ${config.WEBHOOK_TIMEOUT_MS / 1000} s; anything else (or no answer) is retried with exponential backoff and jitter, ${config.WEBHOOK_MAX_ATTEMPTS} attempts over up to ${hours.toFixed(1)} hours. Events may arrive more than once and out of order: deduplicate on the body's \`id\`.`;
}

/**
 * The delivery log pages on the last listed delivery: [created at, id]. Both go into SQL as
 * timestamptz and uuid, so only what PostgreSQL reads back is a cursor: an ISO 8601 UTC time (as
 * toISOString writes it, years 0001-9999) and a UUID; anything else is a 400, never a failed query.
 */
const deliveryCursor = pageTokenCodec({
  json: z
    .tuple([
      z.iso.datetime().refine((at) => !Number.isNaN(Date.parse(at)) && !at.startsWith("0000")),
      z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
    ])
    .transform(([createdAt, id]): DeliveryCursor => ({ createdAt, id })),
  toJson: (cursor) => [cursor.createdAt, cursor.id],
  field: "cursor",
  description: "must be a next_cursor from a previous page",
});

/** Webhook endpoints are the partner's own: another partner's id is a 404, like a missing one. */
export function webhookRoutes(deps: PartnerDeps, idempotent: Middleware): Route[] {
  const { webhooks, addresses, config } = deps;
  const ownWebhook = async (partnerId: string, id: string) => {
    const found = await webhooks.find(partnerId, id);
    if (!found) throw notFound("webhook");
    return found;
  };
  return [
    route({
      method: "post",
      path: "/v1/webhooks",
      operationId: "createWebhook",
      tag: "Webhooks",
      summary: "Register a webhook endpoint",
      description: `Events about the partner's own orders (${EVENT_TYPES.join(", ")}) are sent to the URL. The answer holds the signing secret: it is shown only here. ${signingDocs(config)}`,
      body: createWebhookRequest,
      before: [idempotent],
      responses: {
        201: { description: "The endpoint, with its signing secret.", schema: createdWebhook, headers: ["Location"] },
      },
      problems: { 409: `The partner already has ${config.WEBHOOK_MAX_ENDPOINTS} endpoints.` },
      handler: async ({ body, ctx }) => {
        const { partnerId } = partnerOf(ctx);
        try {
          await addresses.check(body.url);
        } catch (error) {
          if (error instanceof RefusedUrl) throw invalidArgument([{ field: "url", description: error.message }]);
          throw error;
        }
        const secret = `whsec_${randomBytes(32).toString("base64url")}`;
        const created = await webhooks.create(
          {
            partnerId,
            url: body.url,
            events: body.events ? [...new Set(body.events)] : [...EVENT_TYPES],
            description: body.description || null,
            secret,
          },
          config.WEBHOOK_MAX_ENDPOINTS,
        );
        return {
          status: 201,
          body: { ...webhookView(created), secret },
          headers: { Location: `/v1/webhooks/${created.id}` },
        };
      },
    }),
    route({
      method: "get",
      path: "/v1/webhooks",
      operationId: "listWebhooks",
      tag: "Webhooks",
      summary: "List the webhook endpoints",
      responses: { 200: { description: "Every endpoint (without secrets).", schema: webhookList } },
      handler: async ({ ctx }) => ({
        status: 200,
        body: { data: (await webhooks.list(partnerOf(ctx).partnerId)).map(webhookView) },
      }),
    }),
    route({
      method: "delete",
      path: "/v1/webhooks/{id}",
      operationId: "deleteWebhook",
      tag: "Webhooks",
      summary: "Delete a webhook endpoint",
      description: "Nothing more is sent to it; deliveries still pending are cancelled.",
      params: idParams,
      responses: { 204: { description: "Deleted." } },
      problems: { 404: "The partner has no endpoint with this id." },
      handler: async ({ params, ctx }) => {
        if (!(await webhooks.delete(partnerOf(ctx).partnerId, params.id))) throw notFound("webhook");
        return { status: 204 };
      },
    }),
    route({
      method: "get",
      path: "/v1/webhooks/{id}/deliveries",
      operationId: "listWebhookDeliveries",
      tag: "Webhooks",
      summary: "The endpoint's delivery log",
      description: "Every event sent or to be sent to the endpoint, newest first: attempts, last status, next attempt.",
      params: idParams,
      query: deliveriesQuery,
      responses: { 200: { description: "A page of deliveries.", schema: deliveryPage } },
      problems: { 404: "The partner has no endpoint with this id." },
      handler: async ({ params, query, ctx }) => {
        const webhook = await ownWebhook(partnerOf(ctx).partnerId, params.id);
        const page = await webhooks.deliveries(webhook.id, query.limit, deliveryCursor.decode(query.cursor));
        return {
          status: 200,
          body: {
            data: page.deliveries.map(deliveryView),
            next_cursor: page.next ? deliveryCursor.encode(page.next) : null,
          },
        };
      },
    }),
    route({
      method: "post",
      path: "/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver",
      operationId: "redeliverWebhookDelivery",
      tag: "Webhooks",
      summary: "Send a delivery again",
      description:
        "Queues the event for an attempt now, with a fresh retry schedule (also after it succeeded or was given up).",
      params: deliveryParams,
      before: [idempotent],
      responses: { 202: { description: "The delivery, queued.", schema: delivery } },
      problems: {
        404: "The partner has no such endpoint or delivery.",
        409: "An attempt of this delivery is under way.",
      },
      handler: async ({ params, ctx }) => {
        const webhook = await ownWebhook(partnerOf(ctx).partnerId, params.id);
        const queued = await webhooks.redeliver(webhook.id, params.deliveryId);
        if (!queued) throw notFound("delivery");
        deps.wakeDeliveries();
        return { status: 202, body: deliveryView(queued) };
      },
    }),
  ];
}
