import { randomUUID } from "node:crypto";
import { bearer, createClient } from "@marquee/platform";
import { waitFor } from "@marquee/platform/testing/wait";
import { AccountsServiceClient } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { CatalogServiceClient } from "@marquee/proto/marquee/catalog/v1/catalog_service";
import { InventoryServiceClient } from "@marquee/proto/marquee/inventory/v1/inventory_service";
import { OrdersServiceClient } from "@marquee/proto/marquee/orders/v1/orders_service";
import type { Services } from "./system.js";

export interface Person {
  userId: string;
  token: string;
}

export interface Partner {
  partnerId: string;
  apiKey: string;
  keyId: string;
  owner: Person;
}

export interface PublishedShow {
  showId: string;
  tierId: string;
  organizationId: string;
  /** An organizer's token (organizers may check tickets in). */
  organizerToken: string;
  title: string;
  tag: string;
  startsAt: Date;
}

const PASSWORD = "correct horse battery staple";

/** The marketplace around the partner API, driven through the services' gRPC APIs. */
export function marketplace(services: Services) {
  const accounts = createClient(AccountsServiceClient, services.address("accounts")).call;
  const catalog = createClient(CatalogServiceClient, services.address("catalog")).call;
  const inventory = createClient(InventoryServiceClient, services.address("inventory")).call;
  const orders = createClient(OrdersServiceClient, services.address("orders"), { defaultTimeoutMs: 15_000 }).call;

  const signUp = async (name = "Ada"): Promise<Person> => {
    const email = `${name.toLowerCase()}.${randomUUID()}@example.com`;
    const { user } = await accounts.registerUser({ email, displayName: name, password: PASSWORD });
    const { accessToken } = await accounts.authenticate({ email, password: PASSWORD });
    return { userId: user?.userId ?? "", token: accessToken };
  };

  return {
    accounts,
    signUp,

    /** A partner client (owned by a new user) and its first API key. */
    async partner(name = "Agency"): Promise<Partner> {
      const owner = await signUp("Owner");
      const created = await accounts.createPartnerClient({ name }, { metadata: bearer(owner.token) });
      return {
        partnerId: created.partnerClient?.partnerClientId ?? "",
        apiKey: created.apiKey,
        keyId: created.key?.keyId ?? "",
        owner,
      };
    },

    async newApiKey(partner: Partner): Promise<{ apiKey: string; keyId: string }> {
      const created = await accounts.createPartnerApiKey(
        { partnerClientId: partner.partnerId },
        { metadata: bearer(partner.owner.token) },
      );
      return { apiKey: created.apiKey, keyId: created.key?.keyId ?? "" };
    },

    async revokeApiKey(partner: Partner, keyId: string): Promise<void> {
      await accounts.revokePartnerApiKey({ keyId }, { metadata: bearer(partner.owner.token) });
    },

    /** A published show with one tier; resolves once inventory has its stock. */
    async publishShow(
      capacity: number,
      priceMinor: number,
      options: { title?: string; tag?: string; startsAt?: Date } = {},
    ): Promise<PublishedShow> {
      const organizer = await signUp("Olga");
      const { organization, accessToken } = await accounts.createOrganization(
        { name: "Night Owls" },
        { metadata: bearer(organizer.token) },
      );
      const title = options.title ?? "Quartet at Midnight";
      const tag = options.tag ?? "jazz";
      const startsAt = options.startsAt ?? new Date(Date.now() + 30 * 86_400_000);
      const { show } = await catalog.createShow(
        {
          organizationId: organization?.organizationId ?? "",
          title,
          description: "Late jazz",
          venue: { name: "Blue Room", city: "Lisbon", address: "Rua Nova 1" },
          startsAt,
          tags: [tag],
          tiers: [
            {
              tierId: "",
              name: "Standing",
              price: { amountMinor: priceMinor, currency: "EUR" },
              capacity,
              description: "",
            },
          ],
        },
        { metadata: bearer(accessToken) },
      );
      await catalog.publishShow({ showId: show?.showId ?? "" }, { metadata: bearer(accessToken) });
      const published: PublishedShow = {
        showId: show?.showId ?? "",
        tierId: show?.tiers[0]?.tierId ?? "",
        organizationId: organization?.organizationId ?? "",
        organizerToken: accessToken,
        title,
        tag,
        startsAt,
      };
      await waitFor(
        async () => {
          const { tiers } = await inventory.getAvailability({ showIds: [published.showId] });
          return tiers.find((t) => t.tierId === published.tierId)?.capacity === capacity;
        },
        { timeoutMs: 15_000, message: "inventory to put the published show on sale" },
      );
      return published;
    },

    /** Door check-in by the show's organizer. */
    async checkIn(show: PublishedShow, ticketCode: string): Promise<void> {
      await orders.checkInTicket({ ticketCode }, { metadata: bearer(show.organizerToken) });
    },
  };
}

export type Marketplace = ReturnType<typeof marketplace>;
