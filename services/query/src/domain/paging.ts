/** Orders are listed newest first: by placement time, then id (a total order: no overlap, no gap). */
export interface OrderCursor {
  placedAt: Date;
  orderId: string;
}

/** Tickets: in their orders' order, then by position in the order. */
export interface TicketCursor extends OrderCursor {
  index: number;
}
