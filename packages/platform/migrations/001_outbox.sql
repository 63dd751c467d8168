-- Up Migration
-- Events written in the same transaction as the state change; the relay publishes them to JetStream.
CREATE TABLE outbox (
  event_id       uuid PRIMARY KEY,
  -- Publication order. Sequences do not commit in order, so the relay claims unpublished rows
  -- (published_at IS NULL) instead of tailing seq > last.
  seq            bigserial NOT NULL,
  subject        text NOT NULL,
  type           text NOT NULL,
  aggregate_id   text NOT NULL,
  payload        bytea NOT NULL,
  causation_id   text,
  correlation_id text,
  traceparent    text,
  occurred_at    timestamptz NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  published_at   timestamptz
);

CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;
CREATE INDEX outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;

-- Down Migration
DROP TABLE outbox;
