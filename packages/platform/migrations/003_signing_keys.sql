-- Up Migration
-- Asymmetric keys a service signs with (access tokens, ticket payloads). The private half never
-- leaves the service; the public half is served so others verify offline.
CREATE TABLE signing_keys (
  kid         text PRIMARY KEY,
  private_jwk jsonb NOT NULL,
  public_jwk  jsonb NOT NULL,
  created_at  timestamptz NOT NULL
);

-- Down Migration
DROP TABLE signing_keys;
