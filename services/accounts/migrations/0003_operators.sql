-- Up Migration
-- Users with the operator role: they sign in to the operations console (bff-ops), whose calls
-- act for them. Granted and taken back by a person holding the operator certificate
-- (GrantOperator); an access token issued while the row exists carries the `op` claim.
CREATE TABLE operators (
  user_id    uuid PRIMARY KEY REFERENCES users (user_id),
  granted_at timestamptz NOT NULL
);

-- Down Migration
DROP TABLE operators;
