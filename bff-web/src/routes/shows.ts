import Router from "@koa/router";
import { z } from "zod";
import { parseRequest } from "@marquee/platform/http";
import type { Show } from "@marquee/proto/marquee/catalog/v1/catalog_service";
import { optionalSession, requireSession } from "@marquee/platform/web/session";
import { bodyOf } from "@marquee/platform/web/body";
import { homePage } from "../compose/home-page.js";
import { showPage } from "../compose/show-page.js";
import type { WebDeps } from "../deps.js";
import { cursor, id, money, pageSize } from "../http/schemas.js";
import { showView } from "../views/show.js";

const text = (max: number) => z.string().trim().max(max);
const startsAt = z.iso
  .datetime({ offset: true, error: "must be an ISO 8601 date-time, e.g. 2030-05-01T20:00:00Z" })
  .transform((value) => new Date(value));
const venue = z.object({ name: text(200), city: text(200), address: text(500).default("") });
const tier = z.object({
  tierId: z.union([z.literal(""), id]).default(""),
  name: text(100),
  price: money,
  capacity: z.number({ error: "must be a number" }).int().min(0).max(1_000_000),
  description: text(2_000).default(""),
});
const tags = z.array(text(50)).max(50);

const createShow = z.object({
  organizationId: id,
  title: text(200),
  description: text(10_000).default(""),
  venue,
  startsAt,
  tags: tags.default([]),
  tiers: z.array(tier).max(50),
});

const updateShow = z
  .object({
    expectedVersion: z.number().int().min(0).default(0),
    title: text(200).optional(),
    description: text(10_000).optional(),
    venue: venue.optional(),
    startsAt: startsAt.optional(),
    tags: tags.optional(),
    tiers: z.array(tier).max(50).optional(),
  })
  .strict();

const params = z.object({ id });
const homeQuery = z.object({ pageSize: pageSize(50, 12), cursor });

/** Browsing (home, show page: composed) and the organizer's writes (create, edit, publish). */
export function showRoutes(deps: WebDeps): Router {
  const { catalog } = deps.clients;
  const router = new Router();
  const shown = (show: Show | undefined) => ({ show: show ? showView(show) : null });

  router.get("/api/home", async (ctx) => {
    ctx.body = await homePage(deps, parseRequest(homeQuery, ctx.query));
  });

  router.get("/api/shows/:id", async (ctx) => {
    const { id: showId } = parseRequest(params, ctx.params);
    ctx.body = await showPage(deps, showId, optionalSession(ctx));
  });

  router.post("/api/shows", async (ctx) => {
    requireSession(ctx);
    const input = parseRequest(createShow, bodyOf(ctx));
    const { show } = await catalog.createShow(input);
    ctx.status = 201;
    if (show) ctx.set("Location", `/api/shows/${show.showId}`);
    ctx.body = shown(show);
  });

  router.patch("/api/shows/:id", async (ctx) => {
    requireSession(ctx);
    const { id: showId } = parseRequest(params, ctx.params);
    const input = parseRequest(updateShow, bodyOf(ctx));
    const { show } = await catalog.updateShow({
      showId,
      expectedVersion: input.expectedVersion,
      ...(input.title !== undefined ? { title: input.title } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      venue: input.venue,
      startsAt: input.startsAt,
      tags: input.tags ?? [],
      replaceTags: input.tags !== undefined,
      tiers: input.tiers ?? [],
      replaceTiers: input.tiers !== undefined,
    });
    ctx.body = shown(show);
  });

  router.post("/api/shows/:id/publish", async (ctx) => {
    requireSession(ctx);
    const { id: showId } = parseRequest(params, ctx.params);
    const { show } = await catalog.publishShow({ showId });
    ctx.body = shown(show);
  });

  return router;
}
