import { randomUUID } from "node:crypto";
import { bearer, createClient } from "@marquee/platform";
import { waitFor } from "@marquee/platform/testing/wait";
import { AccountsServiceClient } from "@marquee/proto/marquee/accounts/v1/accounts_service";
import { CatalogServiceClient } from "@marquee/proto/marquee/catalog/v1/catalog_service";
import { InventoryServiceClient, type TierAvailability } from "@marquee/proto/marquee/inventory/v1/inventory_service";
import { OrdersServiceClient, OrderStatus, type Order } from "@marquee/proto/marquee/orders/v1/orders_service";
import { WalletServiceClient } from "@marquee/proto/marquee/wallet/v1/wallet_service";
import type { System } from "./system.js";

export interface Person {
  userId: string;
  token: string;
}

export interface PublishedShow {
  showId: string;
  tierId: string;
  organizationId: string;
  organizer: Person;
}

const PASSWORD = "correct horse battery staple";
const TERMINAL = new Set([
  OrderStatus.ORDER_STATUS_CONFIRMED,
  OrderStatus.ORDER_STATUS_REJECTED,
  OrderStatus.ORDER_STATUS_CANCELLED,
]);

/** The marketplace as its users drive it, through the services' public gRPC APIs only. */
export function marketplace(system: System) {
  const accounts = createClient(AccountsServiceClient, system.address("accounts")).call;
  const catalog = createClient(CatalogServiceClient, system.address("catalog")).call;
  const inventory = createClient(InventoryServiceClient, system.address("inventory")).call;
  const wallet = createClient(WalletServiceClient, system.address("wallet")).call;
  const orders = createClient(OrdersServiceClient, system.address("orders"), { defaultTimeoutMs: 15_000 }).call;

  const signUp = async (name = "Ada"): Promise<Person> => {
    const email = `${name.toLowerCase()}.${randomUUID()}@example.com`;
    const { user } = await accounts.registerUser({ email, displayName: name, password: PASSWORD });
    const { accessToken } = await accounts.authenticate({ email, password: PASSWORD });
    return { userId: user?.userId ?? "", token: accessToken };
  };

  const availability = async (show: PublishedShow): Promise<TierAvailability | undefined> => {
    const { tiers } = await inventory.getAvailability({ showIds: [show.showId] });
    return tiers.find((t) => t.tierId === show.tierId);
  };

  return {
    accounts,
    catalog,
    inventory,
    wallet,
    orders,
    signUp,
    availability,

    /** An organizer's published show with one tier; resolves once inventory has its stock. */
    async publishShow(capacity: number, priceMinor: number): Promise<PublishedShow> {
      const organizer = await signUp("Olga");
      const { organization, accessToken } = await accounts.createOrganization(
        { name: "Night Owls" },
        { metadata: bearer(organizer.token) },
      );
      const token = accessToken;
      const { show } = await catalog.createShow(
        {
          organizationId: organization?.organizationId ?? "",
          title: "Quartet at Midnight",
          description: "Jazz",
          venue: { name: "Blue Room", city: "Lisbon", address: "" },
          startsAt: new Date(Date.now() + 30 * 86_400_000),
          tags: ["jazz"],
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
        { metadata: bearer(token) },
      );
      await catalog.publishShow({ showId: show?.showId ?? "" }, { metadata: bearer(token) });
      const published: PublishedShow = {
        showId: show?.showId ?? "",
        tierId: show?.tiers[0]?.tierId ?? "",
        organizationId: organization?.organizationId ?? "",
        organizer: { userId: organizer.userId, token },
      };
      await waitFor(async () => (await availability(published))?.capacity === capacity, {
        timeoutMs: 15_000,
        message: "inventory to put the published show on sale",
      });
      return published;
    },

    async fund(person: Person, amountMinor: number): Promise<void> {
      if (amountMinor <= 0) return;
      await wallet.deposit(
        { accountId: person.userId, amount: { amountMinor, currency: "EUR" }, idempotencyKey: randomUUID() },
        { metadata: bearer(person.token) },
      );
    },

    async balance(person: Person): Promise<number> {
      const { balance } = await wallet.getBalance({ accountId: person.userId }, { metadata: bearer(person.token) });
      return balance?.amountMinor ?? 0;
    },

    async buy(
      person: Person,
      show: PublishedShow,
      quantity: number,
      idempotencyKey: string = randomUUID(),
    ): Promise<Order> {
      const { order } = await orders.placeOrder(
        { showId: show.showId, tierId: show.tierId, quantity, idempotencyKey, attendeeNames: [] },
        { metadata: bearer(person.token) },
      );
      if (!order) throw new Error("PlaceOrder returned no order");
      return order;
    },

    async order(person: Person, orderId: string): Promise<Order> {
      const { order } = await orders.getOrder({ orderId }, { metadata: bearer(person.token) });
      if (!order) throw new Error("GetOrder returned no order");
      return order;
    },

    /** Waits (bounded) until the saga has driven the order to CONFIRMED, REJECTED or CANCELLED. */
    async settled(person: Person, orderId: string, timeoutMs = 20_000): Promise<Order> {
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
