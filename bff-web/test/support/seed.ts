import { randomUUID } from "node:crypto";
import { waitFor } from "@marquee/platform/testing/wait";
import type { ShowPage } from "../../src/compose/show-page.js";
import type { OrderView } from "../../src/views/order.js";
import type { ShowView } from "../../src/views/show.js";
import { readEventStream } from "./sse.js";
import type { Visitor } from "./visitor.js";

export interface PublishedShow {
  showId: string;
  tierId: string;
  organizationId: string;
  title: string;
}

export const DAY_MS = 86_400_000;

/** The organizer's organization (created on first use) through POST /api/organizations. */
export async function organizationOf(organizer: Visitor): Promise<string> {
  const reply = await organizer.post<{ organization: { organizationId: string } }>("/api/organizations", {
    name: `Night Owls ${randomUUID().slice(0, 8)}`,
  });
  if (reply.status !== 201) throw new Error(`create organization: ${reply.status} ${reply.text}`);
  return reply.body.organization.organizationId;
}

export function showRequest(organizationId: string, overrides: Record<string, unknown> = {}) {
  return {
    organizationId,
    title: "Quartet at Midnight",
    description: "Jazz until late",
    venue: { name: "Blue Room", city: "Lisbon", address: "Rua 1" },
    startsAt: new Date(Date.now() + 30 * DAY_MS).toISOString(),
    tags: ["jazz"],
    tiers: [{ name: "Standing", price: { amountMinor: 2500, currency: "EUR" }, capacity: 50 }],
    ...overrides,
  };
}

/** Creates and publishes a show through bff-web, and waits until inventory has it on sale. */
export async function publishShow(
  organizer: Visitor,
  organizationId: string,
  overrides: Record<string, unknown> = {},
): Promise<PublishedShow> {
  const created = await organizer.post<{ show: ShowView }>("/api/shows", showRequest(organizationId, overrides));
  if (created.status !== 201) throw new Error(`create show: ${created.status} ${created.text}`);
  const { showId, tiers, title } = created.body.show;
  const published = await organizer.post<{ show: ShowView }>(`/api/shows/${showId}/publish`);
  if (published.status !== 200) throw new Error(`publish: ${published.status} ${published.text}`);
  await waitFor(
    async () => {
      const page = await organizer.get<ShowPage>(`/api/shows/${showId}`);
      return page.status === 200 && (page.body.availability?.length ?? 0) > 0;
    },
    { timeoutMs: 15_000, message: "inventory to put the published show on sale" },
  );
  return { showId, tierId: tiers[0]?.tierId ?? "", organizationId, title };
}

export async function fund(visitor: Visitor, amountMinor: number): Promise<void> {
  const reply = await visitor.post("/api/wallet/deposits", { amountMinor, currency: "EUR" });
  if (reply.status !== 201) throw new Error(`deposit: ${reply.status} ${reply.text}`);
}

export async function placeOrder(visitor: Visitor, show: PublishedShow, quantity = 1): Promise<OrderView> {
  const reply = await visitor.post<{ order: OrderView }>("/api/orders", {
    showId: show.showId,
    tierId: show.tierId,
    quantity,
  });
  if (reply.status !== 202) throw new Error(`place order: ${reply.status} ${reply.text}`);
  return reply.body.order;
}

/** The order's last state, read from its event stream (which ends once it has settled). */
export async function settled(visitor: Visitor, orderId: string): Promise<OrderView> {
  const stream = await readEventStream(visitor, `/api/orders/${orderId}/events`);
  const last = stream.events.filter((e) => e.event === "status").at(-1);
  if (!last) throw new Error(`no status event for order ${orderId}: ${stream.status} ${stream.text}`);
  return last.data as OrderView;
}
