import type { PoolClient } from "pg";
import type { IncomingEvent, Subscription } from "@marquee/platform";
import { inboxHandler } from "@marquee/platform/inbox";
import type { Pool } from "@marquee/platform/postgres";
import { InventoryEvents, WalletEvents } from "@marquee/proto/events";
import { reactToInventory } from "../../app/purchase-saga/choreography/on-inventory-events.js";
import { reactToWallet } from "../../app/purchase-saga/choreography/on-wallet-events.js";
import type { OrdersDeps, Transaction } from "../../app/ports.js";

const asTransaction = (client: PoolClient) => client as unknown as Transaction;

/** Choreography: orders follows inventory's and the wallet's outcomes, each event once (inbox). */
export function sagaSubscriptions(pool: Pool, deps: OrdersDeps): Subscription[] {
  const I = InventoryEvents;
  const W = WalletEvents;
  const onInventory: Subscription = {
    durable: "orders-on-inventory",
    events: [I.seatsReserved, I.seatsUnavailable, I.seatsConfirmed],
    handler: inboxHandler(pool, "orders-on-inventory", async (event: IncomingEvent, client) => {
      const react = reactToInventory(deps, asTransaction(client), event);
      if (event.type === I.seatsReserved.typeName)
        await react.seatsReserved(I.seatsReserved.codec.decode(event.payload));
      else if (event.type === I.seatsUnavailable.typeName) {
        await react.seatsUnavailable(I.seatsUnavailable.codec.decode(event.payload));
      } else if (event.type === I.seatsConfirmed.typeName) {
        await react.seatsConfirmed(I.seatsConfirmed.codec.decode(event.payload));
      }
    }),
  };
  const onWallet: Subscription = {
    durable: "orders-on-wallet",
    events: [W.fundsCharged, W.insufficientFunds],
    handler: inboxHandler(pool, "orders-on-wallet", async (event: IncomingEvent, client) => {
      const react = reactToWallet(deps, asTransaction(client), event);
      if (event.type === W.fundsCharged.typeName) {
        await react.fundsCharged(W.fundsCharged.codec.decode(event.payload));
      } else if (event.type === W.insufficientFunds.typeName) {
        await react.insufficientFunds(W.insufficientFunds.codec.decode(event.payload));
      }
    }),
  };
  return [onInventory, onWallet];
}
