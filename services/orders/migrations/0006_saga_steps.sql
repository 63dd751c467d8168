-- Up Migration
-- The operations console (issue 15): every attempt of every saga step, for one order's timeline.
-- Orchestration writes a run's steps with the write the run makes anyway (its append, or the
-- worker's UPDATE/DELETE of the saga row); choreography writes a reaction's step with the append
-- that records it (and only if its inbox row is new). Rows stay after the saga ends: a settled
-- order's timeline is still shown. Insert-only, read by order: one index, no other key.
--   saga:    the saga the step belongs to (sagas.kind; choreography's reactions are 'purchase').
--   attempt: the saga's run (orchestration) or the event's delivery (choreography), 1 = first.
--   outcome: declined = the step's answer ended the purchase (out of stock, insufficient funds, ...).
--   error:   the failure's message, or a declined step's reason.
--   trace_id: the W3C trace id the attempt ran under.
CREATE TABLE saga_steps (
  id         bigint GENERATED ALWAYS AS IDENTITY,
  order_id   uuid NOT NULL,
  saga       text NOT NULL,
  step       text NOT NULL,
  attempt    integer NOT NULL,
  started_at timestamptz NOT NULL,
  ended_at   timestamptz NOT NULL,
  outcome    text NOT NULL CHECK (outcome IN ('succeeded', 'failed', 'declined')),
  error      text,
  trace_id   text
);
CREATE INDEX saga_steps_by_order ON saga_steps (order_id, started_at, id);

-- Parked by an operator (FailSaga): the worker takes no parked row until RetrySagaNow clears it.
ALTER TABLE sagas ADD COLUMN parked_at timestamptz;
-- A run holds the row (its lease lasts until next_attempt_at); false while it waits out a back-off
-- or its due time. RetrySagaNow makes a waiting saga due now, never one that is running.
ALTER TABLE sagas ADD COLUMN leased boolean NOT NULL DEFAULT false;
DROP INDEX sagas_due;
CREATE INDEX sagas_due ON sagas (next_attempt_at) WHERE parked_at IS NULL;

-- Down Migration
DROP INDEX sagas_due;
CREATE INDEX sagas_due ON sagas (next_attempt_at);
ALTER TABLE sagas DROP COLUMN leased;
ALTER TABLE sagas DROP COLUMN parked_at;
DROP TABLE saga_steps;
