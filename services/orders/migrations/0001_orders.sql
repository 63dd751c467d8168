-- Up Migration
-- The event store: an order is the ordered list of its events. (stream_id, version) is unique,
-- so two writers deciding on the same version conflict and one retries (optimistic concurrency).
CREATE TABLE events (
  position       bigserial PRIMARY KEY,
  stream_id      uuid NOT NULL,
  version        integer NOT NULL CHECK (version > 0),
  event_id       uuid NOT NULL UNIQUE,
  type           text NOT NULL,
  payload        bytea NOT NULL,
  actor          text NOT NULL,
  causation_id   text,
  correlation_id text,
  recorded_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- The writing transaction: readers of "all events" only go up to the oldest transaction still
  -- running, because positions (a sequence) become visible out of order.
  transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  UNIQUE (stream_id, version)
);
CREATE INDEX events_by_transaction ON events (transaction_id, position);

-- A fold of the first `version` events, so long streams load from here.
CREATE TABLE snapshots (
  stream_id  uuid PRIMARY KEY,
  version    integer NOT NULL,
  state      jsonb NOT NULL,
  taken_at   timestamptz NOT NULL DEFAULT now()
);

-- Lookups the aggregate cannot answer by id; written in the same transaction as the events.
CREATE TABLE order_index (
  order_id         uuid PRIMARY KEY,
  buyer_kind       text NOT NULL,
  buyer_id         uuid NOT NULL,
  idempotency_key  text NOT NULL,
  placed_at        timestamptz NOT NULL,
  UNIQUE (buyer_id, idempotency_key)
);
CREATE INDEX order_index_by_buyer ON order_index (buyer_kind, buyer_id, placed_at DESC, order_id DESC);

CREATE TABLE tickets (
  ticket_code text PRIMARY KEY,
  order_id    uuid NOT NULL
);

-- Confirmed orders waiting for their show to be over (then OrderCompleted).
CREATE TABLE open_orders (
  order_id       uuid PRIMARY KEY,
  show_starts_at timestamptz NOT NULL
);
CREATE INDEX open_orders_by_show_start ON open_orders (show_starts_at);

-- Orchestration: sagas still to run; a row is claimed with FOR UPDATE SKIP LOCKED while its step runs.
CREATE TABLE sagas (
  order_id        uuid NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('purchase', 'cancel')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (order_id, kind)
);
CREATE INDEX sagas_due ON sagas (next_attempt_at);

-- Down Migration
DROP TABLE sagas;
DROP TABLE open_orders;
DROP TABLE tickets;
DROP TABLE order_index;
DROP TABLE snapshots;
DROP TABLE events;
