-- Up Migration
-- A double-entry ledger. Amounts and balances are bigint minor units (cents).

-- Owner accounts (a user's or partner client's id) keep their balance on the row, never below
-- zero. System accounts (external:<CUR>, escrow:<CUR>) take part in every deposit or charge of
-- their currency: a stored balance there would be one hot row serializing them all, so theirs
-- is the sum of their entries.
CREATE TABLE accounts (
  account_id text PRIMARY KEY,
  kind       text NOT NULL CHECK (kind IN ('owner', 'external', 'escrow')),
  currency   text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  balance    bigint CHECK (balance >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, currency),
  CHECK ((kind = 'owner') = (balance IS NOT NULL))
);

CREATE TABLE transactions (
  transaction_id  uuid PRIMARY KEY,
  kind            text NOT NULL CHECK (kind IN ('DEPOSIT', 'CHARGE', 'REFUND')),
  -- The owner whose money moved. No foreign key: a free order's charge may name an account
  -- that was never opened.
  account_id      text NOT NULL,
  amount          bigint NOT NULL CHECK (amount >= 0),
  currency        text NOT NULL,
  order_id        text,
  idempotency_key text,
  reason          text,
  created_at      timestamptz NOT NULL,
  -- An order is charged at most once and refunded at most once.
  UNIQUE (kind, order_id),
  UNIQUE (account_id, idempotency_key),
  CHECK ((kind = 'DEPOSIT') = (idempotency_key IS NOT NULL)),
  CHECK ((kind = 'DEPOSIT') = (order_id IS NULL))
);

CREATE TABLE entries (
  entry_id       bigserial PRIMARY KEY,
  transaction_id uuid NOT NULL REFERENCES transactions (transaction_id),
  account_id     text NOT NULL,
  -- Signed: positive credits the account.
  amount         bigint NOT NULL CHECK (amount <> 0),
  currency       text NOT NULL,
  -- The owner's balance after this entry (their statement); NULL for system accounts.
  balance_after  bigint,
  created_at     timestamptz NOT NULL,
  UNIQUE (transaction_id, account_id),
  -- An entry is in its account's currency.
  FOREIGN KEY (account_id, currency) REFERENCES accounts (account_id, currency)
);
CREATE INDEX entries_statement ON entries (account_id, created_at DESC, entry_id DESC);

-- Checked at commit, once every entry of the transaction is written.
CREATE FUNCTION entries_must_balance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (
    SELECT 1 FROM entries WHERE transaction_id = NEW.transaction_id GROUP BY currency HAVING sum(amount) <> 0
  ) THEN
    RAISE EXCEPTION 'ledger transaction % does not balance', NEW.transaction_id USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER entries_balance
  AFTER INSERT ON entries DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION entries_must_balance();

-- The ledger is append-only: a correction is a new transaction.
CREATE FUNCTION ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries
  FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();
CREATE TRIGGER transactions_append_only BEFORE UPDATE OR DELETE ON transactions
  FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();

-- The first decision on charging an order, which every retry gets back.
CREATE TABLE order_charges (
  order_id         text PRIMARY KEY,
  account_id       text NOT NULL,
  amount           bigint NOT NULL,
  currency         text NOT NULL,
  outcome          text NOT NULL CHECK (outcome IN ('CHARGED', 'INSUFFICIENT_FUNDS')),
  transaction_id   uuid REFERENCES transactions (transaction_id),
  balance          bigint NOT NULL,
  balance_currency text NOT NULL,
  decided_at       timestamptz NOT NULL,
  CHECK ((outcome = 'CHARGED') = (transaction_id IS NOT NULL))
);

-- Orders closed (rejected, cancelled) before any charge: a charge arriving later is refused.
CREATE TABLE voided_orders (
  order_id  text PRIMARY KEY,
  reason    text NOT NULL,
  voided_at timestamptz NOT NULL
);

-- Down Migration
DROP TABLE voided_orders;
DROP TABLE order_charges;
DROP TABLE entries;
DROP TABLE transactions;
DROP FUNCTION ledger_is_append_only();
DROP FUNCTION entries_must_balance();
DROP TABLE accounts;
