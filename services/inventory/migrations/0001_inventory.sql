-- Up Migration
-- Published shows, as far as selling seats needs them (kept from catalog's events).
CREATE TABLE shows (
  show_id         uuid PRIMARY KEY,
  organization_id uuid NOT NULL,
  starts_at       timestamptz NOT NULL,
  -- Catalog's version of the show last applied: an older event arriving late changes nothing.
  version         integer NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Seats per (show, tier) and the authoritative price.
CREATE TABLE stock (
  show_id     uuid NOT NULL REFERENCES shows (show_id),
  tier_id     uuid NOT NULL,
  -- The tier's place in the show, for listing tiers in catalog's order.
  position    integer NOT NULL,
  capacity    integer NOT NULL CHECK (capacity >= 0),
  held        integer NOT NULL DEFAULT 0 CHECK (held >= 0),
  sold        integer NOT NULL DEFAULT 0 CHECK (sold >= 0),
  price_minor bigint NOT NULL CHECK (price_minor >= 0),
  currency    text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (show_id, tier_id),
  -- Never oversold, whatever the code above it does.
  CONSTRAINT stock_within_capacity CHECK (held + sold <= capacity)
);

-- One row per order: the seats it holds (or bought), or why it got none (REJECTED), so that
-- every call after the first answers the same.
CREATE TABLE holds (
  order_id         uuid PRIMARY KEY,
  show_id          uuid NOT NULL,
  tier_id          uuid NOT NULL,
  quantity         integer NOT NULL CHECK (quantity > 0),
  buyer_id         uuid NOT NULL,
  status           text NOT NULL CHECK (status IN ('HELD', 'CONFIRMED', 'RELEASED', 'LOST', 'REJECTED')),
  rejection_reason text,
  unit_price_minor bigint,
  currency         text,
  organization_id  uuid,
  show_starts_at   timestamptz,
  expires_at       timestamptz,
  release_reason   text,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  CONSTRAINT holds_rejected_has_reason CHECK ((status = 'REJECTED') = (rejection_reason IS NOT NULL)),
  CONSTRAINT holds_held_has_terms CHECK (
    status = 'REJECTED'
    OR (unit_price_minor IS NOT NULL AND currency IS NOT NULL AND organization_id IS NOT NULL
        AND show_starts_at IS NOT NULL AND expires_at IS NOT NULL)
  )
);

-- The sweeper's queue: held seats by expiry.
CREATE INDEX holds_expiring ON holds (expires_at) WHERE status = 'HELD';

-- Down Migration
DROP TABLE holds;
DROP TABLE stock;
DROP TABLE shows;
