-- Up Migration
-- The CQRS shape inside one PostgreSQL database: sales facts written with the events, a
-- materialized view summing them, refreshed concurrently on an interval (and readable from a
-- streaming replica). One fact per OrderConfirmed / OrderCancelled / TicketCheckedIn, inserted in
-- the same transaction as the event (order-store.ts), so the report never counts an event the
-- store does not hold. Ids are text, not uuid: a fact must never be the reason an append fails.
CREATE TABLE order_facts (
  event_id        uuid PRIMARY KEY,
  order_id        uuid NOT NULL,
  organization_id text NOT NULL,
  show_id         text NOT NULL,
  tier_id         text NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('confirmed', 'cancelled', 'checked_in')),
  tickets         integer NOT NULL,
  amount_minor    bigint NOT NULL,
  currency        text NOT NULL,
  occurred_at     timestamptz NOT NULL
);

CREATE MATERIALIZED VIEW sales_report AS
  SELECT organization_id,
         show_id,
         tier_id,
         currency,
         coalesce(sum(tickets) FILTER (WHERE kind = 'confirmed'), 0)::bigint      AS tickets_sold,
         coalesce(sum(tickets) FILTER (WHERE kind = 'cancelled'), 0)::bigint      AS tickets_cancelled,
         coalesce(sum(tickets) FILTER (WHERE kind = 'checked_in'), 0)::bigint     AS tickets_checked_in,
         coalesce(sum(amount_minor) FILTER (WHERE kind = 'confirmed'), 0)::bigint AS gross_minor,
         coalesce(sum(amount_minor) FILTER (WHERE kind = 'cancelled'), 0)::bigint AS refunded_minor
    FROM order_facts
   GROUP BY organization_id, show_id, tier_id, currency
WITH DATA;
-- REFRESH ... CONCURRENTLY needs a unique index over plain columns covering every row.
CREATE UNIQUE INDEX sales_report_key ON sales_report (organization_id, show_id, tier_id, currency);

-- When the view was last refreshed: the report is "as of" then (replicated with it).
CREATE TABLE sales_report_refreshes (
  id           boolean PRIMARY KEY DEFAULT true CHECK (id),
  refreshed_at timestamptz NOT NULL
);
INSERT INTO sales_report_refreshes (refreshed_at) VALUES (now());

-- Events stored before this migration have no facts: the service derives them at its next start
-- (the payloads are protobuf, which SQL cannot read) and then deletes this marker.
CREATE TABLE order_facts_backfill (
  id boolean PRIMARY KEY DEFAULT true CHECK (id)
);
INSERT INTO order_facts_backfill DEFAULT VALUES;

-- Down Migration
DROP TABLE order_facts_backfill;
DROP TABLE sales_report_refreshes;
DROP MATERIALIZED VIEW sales_report;
DROP TABLE order_facts;
