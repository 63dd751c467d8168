import { randomUUID } from "node:crypto";
import { bearer, createClient } from "@marquee/platform";
import { waitFor } from "@marquee/platform/testing/wait";
import { AccountsServiceClient, Role } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { CatalogServiceClient, type TicketTier } from "@marquee/proto/marquee/catalog/v1/catalog_service";
import { InventoryServiceClient } from "@marquee/proto/marquee/inventory/v1/inventory_service";
import { WalletServiceClient } from "@marquee/proto/marquee/wallet/v1/wallet_service";
import type { Backends } from "./backends.js";

export const PASSWORD = "correct horse battery staple";

export interface Person {
  userId: string;
  email: string;
  token: string;
}

export interface Organization {
  organizationId: string;
  organizer: Person;
}

export interface PublishedShow {
  showId: string;
  tierIds: string[];
  organizationId: string;
  title: string;
  startsAt: Date;
}

export interface ShowSpec {
  title?: string;
  startsAt?: Date;
  tiers?: { name: string; priceMinor: number; capacity: number }[];
}

/** The marketplace's other actors (organizers, wallet top-ups), driven through the services' gRPC APIs. */
export function marketplace(backends: Backends) {
  const accounts = createClient(AccountsServiceClient, backends.address("accounts")).call;
  const catalog = createClient(CatalogServiceClient, backends.address("catalog")).call;
  const inventory = createClient(InventoryServiceClient, backends.address("inventory")).call;
  const wallet = createClient(WalletServiceClient, backends.address("wallet")).call;

  const signIn = async (email: string): Promise<string> =>
    (await accounts.authenticate({ email, password: PASSWORD })).accessToken;

  const signUp = async (name = "Ada"): Promise<Person> => {
    const email = `${name.toLowerCase()}.${randomUUID()}@example.com`;
    const { user } = await accounts.registerUser({ email, displayName: name, password: PASSWORD });
    return { userId: user?.userId ?? "", email, token: await signIn(email) };
  };

  return {
    signUp,

    async organization(name = "Night Owls"): Promise<Organization> {
      const organizer = await signUp("Olga");
      const { organization, accessToken } = await accounts.createOrganization(
        { name },
        { metadata: bearer(organizer.token) },
      );
      return { organizationId: organization?.organizationId ?? "", organizer: { ...organizer, token: accessToken } };
    },

    /** A member with the door staff role; their token (signed in after joining) carries it. */
    async doorStaff(org: Organization): Promise<Person> {
      const staff = await signUp("Dora");
      await accounts.addMember(
        { organizationId: org.organizationId, userId: staff.userId, role: Role.ROLE_DOOR_STAFF },
        { metadata: bearer(org.organizer.token) },
      );
      return { ...staff, token: await signIn(staff.email) };
    },

    /** A published show; resolves once inventory has the stock of every tier. */
    async publishShow(org: Organization, spec: ShowSpec = {}): Promise<PublishedShow> {
      const tiers: TicketTier[] = (spec.tiers ?? [{ name: "Standing", priceMinor: 2_500, capacity: 100 }]).map(
        (tier) => ({
          tierId: "",
          name: tier.name,
          price: { amountMinor: tier.priceMinor, currency: "EUR" },
          capacity: tier.capacity,
          description: "",
        }),
      );
      const metadata = bearer(org.organizer.token);
      const { show } = await catalog.createShow(
        {
          organizationId: org.organizationId,
          title: spec.title ?? "Quartet at Midnight",
          description: "Jazz, late",
          venue: { name: "Blue Room", city: "Lisbon", address: "Rua Augusta 1" },
          startsAt: spec.startsAt ?? new Date(Date.now() + 30 * 86_400_000),
          tags: ["jazz"],
          tiers,
        },
        { metadata },
      );
      if (!show) throw new Error("CreateShow returned no show");
      await catalog.publishShow({ showId: show.showId }, { metadata });
      await waitFor(
        async () => (await inventory.getAvailability({ showIds: [show.showId] })).tiers.length === tiers.length,
        { timeoutMs: 15_000, message: "inventory to put the published show on sale" },
      );
      return {
        showId: show.showId,
        tierIds: show.tiers.map((tier) => tier.tierId),
        organizationId: org.organizationId,
        title: show.title,
        startsAt: show.startsAt ?? new Date(0),
      };
    },

    async fund(person: Person, amountMinor: number): Promise<void> {
      await wallet.deposit(
        { accountId: person.userId, amount: { amountMinor, currency: "EUR" }, idempotencyKey: randomUUID() },
        { metadata: bearer(person.token) },
      );
    },
  };
}

export type Marketplace = ReturnType<typeof marketplace>;
