import type { Connection, mongo } from "mongoose";
import { guardMongo } from "@marquee/platform/mongo";
import type { OrderListQuery, ReadModels } from "../../app/ports.js";
import type { AvailabilityShard, StockDoc } from "../../domain/availability.js";
import type { OrderDoc, OrderView } from "../../domain/order-view.js";
import type { SalesShard } from "../../domain/sales.js";
import { collectionOf, fromStored, type StoredDocument } from "./collections.js";

const valuesOf = <T>(docs: StoredDocument[]): T[] => docs.map((doc) => fromStored<T>(doc).value);

/**
 * The queries. Only operators FerretDB 1.24 and MongoDB answer alike are used (checked against
 * FerretDB): equality, `$in`, `$lt`/`$lte` and `$or` on scalar fields, sorts on several fields.
 */
export class MongoReadModels implements ReadModels {
  constructor(private readonly connection: Connection) {}

  async findOrder(projection: "my-orders" | "partner-orders", generation: number, orderId: string) {
    const doc = await guardMongo(() =>
      collectionOf(this.connection, projection, "orders", generation).findOne({ _id: orderId }),
    );
    return doc ? fromStored<OrderDoc>(doc).value : undefined;
  }

  async listOrders(projection: "my-orders" | "partner-orders", generation: number, query: OrderListQuery) {
    const filter: mongo.Filter<StoredDocument> = { buyerKind: query.buyerKind, buyerId: query.buyerId };
    if (query.statuses) filter.status = { $in: [...query.statuses] };
    if (query.after) {
      const { placedAt, orderId, inclusive } = query.after;
      filter.$or = [
        { placedAt: { $lt: placedAt } },
        { placedAt, _id: inclusive ? { $lte: orderId } : { $lt: orderId } },
      ];
    }
    const docs = await guardMongo(() =>
      collectionOf(this.connection, projection, "orders", generation)
        .find(filter)
        .sort({ placedAt: -1, _id: -1 })
        .limit(query.limit)
        .toArray(),
    );
    return valuesOf<OrderView>(docs);
  }

  async salesOfShow(generation: number, showId: string) {
    const docs = await guardMongo(() =>
      collectionOf(this.connection, "organizer-sales", "sales", generation).find({ showId }).toArray(),
    );
    return valuesOf<SalesShard>(docs);
  }

  async salesOfOrganization(generation: number, organizationId: string) {
    const docs = await guardMongo(() =>
      collectionOf(this.connection, "organizer-sales", "sales", generation).find({ organizationId }).toArray(),
    );
    return valuesOf<SalesShard>(docs);
  }

  async availabilityOf(generation: number, showIds: readonly string[]) {
    const ids = [...showIds];
    const [stock, seats] = await guardMongo(() =>
      Promise.all([
        collectionOf(this.connection, "availability", "stock", generation)
          .find({ _id: { $in: ids } })
          .toArray(),
        collectionOf(this.connection, "availability", "seats", generation)
          .find({ showId: { $in: ids } })
          .toArray(),
      ]),
    );
    return { stock: valuesOf<StockDoc>(stock), seats: valuesOf<AvailabilityShard>(seats) };
  }
}
