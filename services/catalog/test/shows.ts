import { randomUUID } from "node:crypto";
import type { CreateShowRequest, TicketTier } from "@marquee/proto/marquee/catalog/v1/catalog_service";
import { draftShow, publishShow, type Show, type ShowDraft } from "../src/domain/show.js";

export const DAY_MS = 86_400_000;
export const inDays = (days: number): Date => new Date(Date.now() + days * DAY_MS);

export function tierMessage(overrides: Partial<TicketTier> = {}): TicketTier {
  return {
    tierId: "",
    name: "Standing",
    price: { amountMinor: 2500, currency: "EUR" },
    capacity: 100,
    description: "",
    ...overrides,
  };
}

/** A valid CreateShowRequest; override what a test is about. */
export function createRequest(organizationId: string, overrides: Partial<CreateShowRequest> = {}): CreateShowRequest {
  return {
    organizationId,
    title: "Jazz Night",
    description: "Two sets, one break.",
    venue: { name: "Blue Note", city: "Berlin", address: "Hauptstraße 1" },
    startsAt: inDays(30),
    tags: ["jazz", "live"],
    tiers: [
      tierMessage(),
      tierMessage({ name: "Seated", price: { amountMinor: 4000, currency: "EUR" }, capacity: 40 }),
    ],
    ...overrides,
  };
}

export interface ShowSpec extends Partial<ShowDraft> {
  showId?: string;
  organizationId?: string;
  published?: boolean;
}

/** A domain show, as the use cases would have made it. */
export function aShow(spec: ShowSpec = {}): Show {
  const { showId = randomUUID(), organizationId = randomUUID(), published = false, ...content } = spec;
  const draft: ShowDraft = {
    title: "Jazz Night",
    description: "",
    venue: { name: "Blue Note", city: "Berlin", address: "" },
    startsAt: inDays(30),
    tags: ["jazz"],
    tiers: [
      {
        tierId: undefined,
        name: "Standing",
        price: { amountMinor: 2500, currency: "EUR" },
        capacity: 100,
        description: "",
      },
    ],
    ...content,
  };
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  const show = draftShow(showId, organizationId, draft, { now, newId: randomUUID });
  return published ? publishShow(show, now) : show;
}
