-- Up Migration

-- Idempotency-Key records: the first request with a key runs ("in_progress", leased), its answer
-- is kept ("done") and replayed to repeats until expires_at. Keys are per partner.
CREATE TABLE idempotency_keys (
  partner_id      text NOT NULL,
  key             text NOT NULL,
  -- SHA-256 of method, path and the canonical JSON body: a repeat must match it.
  fingerprint     text NOT NULL,
  state           text NOT NULL CHECK (state IN ('in_progress', 'done')),
  -- While in progress: a crashed owner's lease runs out and a repeat takes the key over.
  locked_until    timestamptz,
  response_status integer,
  -- The body exactly as first sent (text, not jsonb: a replay is byte for byte the same).
  response_body   text,
  -- A problem answer, as the error it was (kind, message, reason, violations).
  response_error  jsonb,
  response_headers jsonb,
  created_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  PRIMARY KEY (partner_id, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

-- Orders placed by partners (from OrderPlaced): TicketCheckedIn names only the order.
CREATE TABLE partner_orders (
  order_id   uuid PRIMARY KEY,
  partner_id text NOT NULL,
  placed_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhooks (
  id          uuid PRIMARY KEY,
  partner_id  text NOT NULL,
  url         text NOT NULL,
  -- Needed in clear to sign every delivery (HMAC), so it cannot be stored hashed.
  secret      text NOT NULL,
  events      text[] NOT NULL,
  description text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  deleted_at  timestamptz
);
CREATE INDEX webhooks_by_partner ON webhooks (partner_id, created_at) WHERE deleted_at IS NULL;

-- One event on its way to one endpoint, with its retry schedule. The worker claims due rows
-- (pending and next_attempt_at passed, or delivering with an expired lease) with
-- FOR UPDATE SKIP LOCKED, at most WEBHOOK_ENDPOINT_CONCURRENCY per endpoint.
CREATE TABLE webhook_deliveries (
  id               uuid PRIMARY KEY,
  webhook_id       uuid NOT NULL REFERENCES webhooks (id),
  partner_id       text NOT NULL,
  event_id         uuid NOT NULL,
  event_type       text NOT NULL,
  -- The exact bytes sent on every attempt (the signature covers them).
  body             text NOT NULL,
  state            text NOT NULL CHECK (state IN ('pending', 'delivering', 'succeeded', 'failed', 'cancelled')),
  attempt_count    integer NOT NULL DEFAULT 0,
  -- Failures since the last success or redelivery: drives the backoff and the give-up.
  failures         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz,
  lease_until      timestamptz,
  lease_token      uuid,
  last_status_code integer,
  last_error       text,
  last_attempt_at  timestamptz,
  delivered_at     timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_in_flight ON webhook_deliveries (webhook_id, lease_until) WHERE state = 'delivering';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, created_at DESC, id DESC);

-- Down Migration
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
DROP TABLE partner_orders;
DROP TABLE idempotency_keys;
