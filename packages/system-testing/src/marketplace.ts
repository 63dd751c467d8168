import { issuedIdentity } from "@marquee/platform/testing/tls";
import { randomUUID } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import { bearer, createClient, DomainError, type ErrorKind } from "@marquee/platform";
import { waitFor } from "@marquee/platform/testing/wait";
import { AccountsServiceClient, Role } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { CatalogServiceClient, type TicketTier } from "@marquee/proto/marquee/catalog/v1/catalog_service";
import { InventoryServiceClient, type TierAvailability } from "@marquee/proto/marquee/inventory/v1/inventory_service";
import { OrdersServiceClient, OrderStatus, type Order } from "@marquee/proto/marquee/orders/v1/orders_service";
import { WalletServiceClient } from "@marquee/proto/marquee/wallet/v1/wallet_service";
import type { System } from "./system.js";

export const PASSWORD = "correct horse battery staple";

/** Whoever calls with a token: a user, or a partner client acting with its API key's token. */
export interface Actor {
  userId: string;
  token: string;
}

/** A signed-up, signed-in user. */
export interface Person extends Actor {
  email: string;
}

export interface Organization {
  organizationId: string;
  /** Its creator, with a token that carries the organization (organizers may check tickets in). */
  organizer: Person;
}

/** A partner client (reseller, agency) owned by a user, with its first API key. */
export interface Partner {
  partnerId: string;
  apiKey: string;
  keyId: string;
  owner: Person;
}

export interface PublishedShow {
  showId: string;
  /** The first tier's id. */
  tierId: string;
  tierIds: string[];
  organizationId: string;
  organizer: Person;
  /** The organizer's token (= organizer.token). */
  organizerToken: string;
  title: string;
  /** The first tag. */
  tag: string;
  startsAt: Date;
}

export interface ShowSpec {
  title?: string;
  tag?: string;
  startsAt?: Date;
  /** Default: one "Standing" tier of 100 seats at 25.00 EUR. */
  tiers?: { name: string; priceMinor: number; capacity: number }[];
}

const TERMINAL = new Set([
  OrderStatus.ORDER_STATUS_CONFIRMED,
  OrderStatus.ORDER_STATUS_REJECTED,
  OrderStatus.ORDER_STATUS_CANCELLED,
]);

/**
 * The marketplace as its users drive it, through the services' public gRPC APIs only: buyers with
 * funded wallets, organizers with published shows, door staff, partners with API keys.
 */
/** The answers to PlaceOrder a client retries with the same key (buyUntilAnswered). */
const RETRIED = new Set<ErrorKind>(["resource_exhausted", "unavailable", "deadline_exceeded"]);

export function marketplace(system: Pick<System, "address">) {
  // Users reach the services through a front door; the operator's certificate is admitted at each.
  const identity = issuedIdentity("operator");
  const accounts = createClient(AccountsServiceClient, system.address("accounts"), { identity }).call;
  const catalog = createClient(CatalogServiceClient, system.address("catalog"), { identity }).call;
  const inventory = createClient(InventoryServiceClient, system.address("inventory"), { identity }).call;
  const wallet = createClient(WalletServiceClient, system.address("wallet"), { identity }).call;
  const orders = createClient(OrdersServiceClient, system.address("orders"), {
    defaultTimeoutMs: 15_000,
    identity,
  }).call;

  const signIn = async (email: string): Promise<string> =>
    (await accounts.authenticate({ email, password: PASSWORD })).accessToken;

  const signUp = async (name = "Ada"): Promise<Person> => {
    const email = `${name.toLowerCase()}.${randomUUID()}@example.com`;
    const { user } = await accounts.registerUser({ email, displayName: name, password: PASSWORD });
    return { userId: user?.userId ?? "", email, token: await signIn(email) };
  };

  const availability = async (
    show: Pick<PublishedShow, "showId" | "tierId">,
  ): Promise<TierAvailability | undefined> => {
    const { tiers } = await inventory.getAvailability({ showIds: [show.showId] });
    return tiers.find((t) => t.tierId === show.tierId);
  };

  const fund = async (person: Actor, amountMinor: number): Promise<void> => {
    if (amountMinor <= 0) return;
    await wallet.deposit(
      { accountId: person.userId, amount: { amountMinor, currency: "EUR" }, idempotencyKey: randomUUID() },
      { metadata: bearer(person.token) },
    );
  };

  const organization = async (name = "Night Owls"): Promise<Organization> => {
    const organizer = await signUp("Olga");
    const { organization: created, accessToken } = await accounts.createOrganization(
      { name },
      { metadata: bearer(organizer.token) },
    );
    return { organizationId: created?.organizationId ?? "", organizer: { ...organizer, token: accessToken } };
  };

  /** A published show of `org`; resolves once inventory has every tier's stock. */
  const publishShowOf = async (org: Organization, spec: ShowSpec = {}): Promise<PublishedShow> => {
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
    const tag = spec.tag ?? "jazz";
    const { show } = await catalog.createShow(
      {
        organizationId: org.organizationId,
        title: spec.title ?? "Quartet at Midnight",
        description: "Jazz, late",
        venue: { name: "Blue Room", city: "Lisbon", address: "Rua Augusta 1" },
        startsAt: spec.startsAt ?? new Date(Date.now() + 30 * 86_400_000),
        tags: [tag],
        tiers,
      },
      { metadata },
    );
    if (!show) throw new Error("CreateShow returned no show");
    await catalog.publishShow({ showId: show.showId }, { metadata });
    await waitFor(
      async () => {
        const stock = (await inventory.getAvailability({ showIds: [show.showId] })).tiers;
        return show.tiers.every((tier) => stock.find((t) => t.tierId === tier.tierId)?.capacity === tier.capacity);
      },
      { timeoutMs: 15_000, message: "inventory to put the published show on sale" },
    );
    return {
      showId: show.showId,
      tierId: show.tiers[0]?.tierId ?? "",
      tierIds: show.tiers.map((tier) => tier.tierId),
      organizationId: org.organizationId,
      organizer: org.organizer,
      organizerToken: org.organizer.token,
      title: show.title,
      tag,
      startsAt: show.startsAt ?? new Date(0),
    };
  };

  /** A new organizer's published show; or `org`'s show as `spec` describes it. */
  function publishShow(capacity: number, priceMinor: number, options?: Omit<ShowSpec, "tiers">): Promise<PublishedShow>;
  function publishShow(org: Organization, spec?: ShowSpec): Promise<PublishedShow>;
  async function publishShow(
    first: number | Organization,
    second?: number | ShowSpec,
    options: Omit<ShowSpec, "tiers"> = {},
  ): Promise<PublishedShow> {
    if (typeof first !== "number") return publishShowOf(first, typeof second === "object" ? second : {});
    const priceMinor = typeof second === "number" ? second : 0;
    return publishShowOf(await organization(), {
      ...options,
      tiers: [{ name: "Standing", priceMinor, capacity: first }],
    });
  }

  const buy = async (
    person: Actor,
    show: PublishedShow,
    quantity: number,
    idempotencyKey: string = randomUUID(),
  ): Promise<Order> => {
    const { order } = await orders.placeOrder(
      { showId: show.showId, tierId: show.tierId, quantity, idempotencyKey, attendeeNames: [] },
      { metadata: bearer(person.token) },
    );
    if (!order) throw new Error("PlaceOrder returned no order");
    return order;
  };

  return {
    accounts,
    catalog,
    inventory,
    wallet,
    orders,
    signUp,
    availability,
    organization,
    publishShow,

    /** A member with the door staff role; their token (signed in after joining) carries it. */
    async doorStaff(org: Organization): Promise<Person> {
      const staff = await signUp("Dora");
      await accounts.addMember(
        { organizationId: org.organizationId, userId: staff.userId, role: Role.ROLE_DOOR_STAFF },
        { metadata: bearer(org.organizer.token) },
      );
      return { ...staff, token: await signIn(staff.email) };
    },

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

    /** Door check-in by the show's organizer. */
    async checkIn(show: PublishedShow, ticketCode: string): Promise<void> {
      await orders.checkInTicket({ ticketCode }, { metadata: bearer(show.organizerToken) });
    },

    fund,

    /** A signed-up, signed-in buyer whose wallet holds `amountMinor` (EUR). */
    async buyer(amountMinor: number, name = "Bea"): Promise<Person> {
      const person = await signUp(name);
      await fund(person, amountMinor);
      return person;
    },

    async balance(person: Actor): Promise<number> {
      const { balance } = await wallet.getBalance({ accountId: person.userId }, { metadata: bearer(person.token) });
      return balance?.amountMinor ?? 0;
    },

    buy,

    /**
     * PlaceOrder as a client does it under load: RESOURCE_EXHAUSTED (shed at the door),
     * UNAVAILABLE (orders restarting, or its connections all busy) and DEADLINE_EXCEEDED are retried
     * with the same key after the delay the answer names (200 ms when it names none), so a retry of a call that did commit
     * returns that order. Resolves with the definite answer: the order, or the error that refused
     * it. `onRetry` hears each answer that sent it back.
     */
    async buyUntilAnswered(
      person: Actor,
      show: PublishedShow,
      quantity: number,
      onRetry: (kind: ErrorKind) => void = () => undefined,
    ): Promise<Order | DomainError> {
      const key = randomUUID();
      for (;;) {
        try {
          return await buy(person, show, quantity, key);
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          if (!RETRIED.has(error.kind)) return error;
          onRetry(error.kind);
          await delay(error.retryAfterMs ?? 200);
        }
      }
    },

    async order(person: Actor, orderId: string): Promise<Order> {
      const { order } = await orders.getOrder({ orderId }, { metadata: bearer(person.token) });
      if (!order) throw new Error("GetOrder returned no order");
      return order;
    },

    /** Waits (bounded) until the saga has driven the order to CONFIRMED, REJECTED or CANCELLED. */
    async settled(person: Actor, orderId: string, timeoutMs = 20_000): Promise<Order> {
      return waitFor(
        async () => {
          const { order } = await orders.getOrder({ orderId }, { metadata: bearer(person.token) });
          return order && TERMINAL.has(order.status) ? order : undefined;
        },
        { timeoutMs, intervalMs: 50, message: `order ${orderId} to settle` },
      );
    },
  };
}

export type Marketplace = ReturnType<typeof marketplace>;
