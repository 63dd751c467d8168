-- Up Migration
-- Each order's seats as they changed: held, sold, released. A row is appended by the same
-- statement (or transaction) that changes the hold, so the history never disagrees with `holds`;
-- operators read an order as it was at a moment from it (InventoryAdminService.GetOrderSeatsAsOf).
-- A hold is taken once, sold at most once and released at most once: the state is in the key.
CREATE TABLE hold_history (
  order_id uuid NOT NULL,
  state    text NOT NULL CHECK (state IN ('HELD', 'SOLD', 'RELEASED')),
  quantity integer NOT NULL CHECK (quantity > 0),
  -- Why the seats went back (EXPIRED, ORDER_REJECTED, ORDER_CANCELLED, ...); NULL otherwise.
  reason   text,
  at       timestamptz NOT NULL,
  PRIMARY KEY (order_id, state)
);

-- History is append-only: nothing rewrites what happened.
CREATE FUNCTION hold_history_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER hold_history_append_only BEFORE UPDATE OR DELETE ON hold_history
  FOR EACH ROW EXECUTE FUNCTION hold_history_is_append_only();

-- Holds taken before this migration: their start and their state now, at its last change. (A
-- hold released after it was sold shows no sale; a lost hold's release is dated when it was lost.)
INSERT INTO hold_history (order_id, state, quantity, at)
  SELECT order_id, 'HELD', quantity, created_at FROM holds WHERE status <> 'REJECTED';
INSERT INTO hold_history (order_id, state, quantity, reason, at)
  SELECT order_id, CASE status WHEN 'CONFIRMED' THEN 'SOLD' ELSE 'RELEASED' END, quantity,
         CASE WHEN status = 'CONFIRMED' THEN NULL ELSE release_reason END, updated_at
    FROM holds WHERE status IN ('CONFIRMED', 'RELEASED', 'LOST');

-- Down Migration
DROP TABLE hold_history;
DROP FUNCTION hold_history_is_append_only();
