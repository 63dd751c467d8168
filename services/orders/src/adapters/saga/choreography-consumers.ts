import type { IncomingEvent, Subscription } from "@marquee/platform";
import { InventoryEvents, WalletEvents } from "@marquee/proto/events";
import { reactToInventory } from "../../app/purchase-saga/choreography/on-inventory-events.js";
import { reactToWallet } from "../../app/purchase-saga/choreography/on-wallet-events.js";
import type { OrdersDeps } from "../../app/ports.js";

/**
 * Choreography: orders follows inventory's and the wallet's outcomes, each event once: the
 * consumer's inbox row is part of the append (one statement), so a redelivered event writes nothing.
 */
export function sagaSubscriptions(deps: OrdersDeps): Subscription[] {
  const I = InventoryEvents;
  const W = WalletEvents;
  const onInventory: Subscription = {
    durable: "orders-on-inventory",
    events: [I.seatsReserved, I.seatsUnavailable, I.seatsConfirmed],
    handler: async (event: IncomingEvent) => {
      const react = reactToInventory(deps, "orders-on-inventory", event);
      if (event.type === I.seatsReserved.typeName)
        await react.seatsReserved(I.seatsReserved.codec.decode(event.payload));
      else if (event.type === I.seatsUnavailable.typeName) {
        await react.seatsUnavailable(I.seatsUnavailable.codec.decode(event.payload));
      } else if (event.type === I.seatsConfirmed.typeName) {
        await react.seatsConfirmed(I.seatsConfirmed.codec.decode(event.payload));
      }
    },
  };
  const onWallet: Subscription = {
    durable: "orders-on-wallet",
    events: [W.fundsCharged, W.insufficientFunds],
    handler: async (event: IncomingEvent) => {
      const react = reactToWallet(deps, "orders-on-wallet", event);
      if (event.type === W.fundsCharged.typeName) {
        await react.fundsCharged(W.fundsCharged.codec.decode(event.payload));
      } else if (event.type === W.insufficientFunds.typeName) {
        await react.insufficientFunds(W.insufficientFunds.codec.decode(event.payload));
      }
    },
  };
  return [onInventory, onWallet];
}
