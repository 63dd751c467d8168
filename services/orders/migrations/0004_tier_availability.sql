-- Up Migration
-- Tiers inventory reported sold out (TierSoldOut, TierBackOnSale, StockChanged): PlaceOrder's
-- append is conditional on its tier not being sold out here, so a buyer of a sold-out tier is
-- answered at once, without a saga. A hint, never the check: inventory's conditional UPDATE still
-- decides every hold. `stream_sequence` is the event's position in inventory's stream: an older
-- event (redelivered late) never overwrites a newer one.
CREATE TABLE tier_availability (
  show_id uuid NOT NULL,
  tier_id uuid NOT NULL,
  sold_out boolean NOT NULL,
  stream_sequence bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (show_id, tier_id)
);

-- Down Migration
DROP TABLE tier_availability;
