-- Up Migration
CREATE TABLE users (
  user_id uuid PRIMARY KEY,
  email text NOT NULL UNIQUE,
  display_name text NOT NULL,
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL
);

CREATE TABLE organizations (
  organization_id uuid PRIMARY KEY,
  name text NOT NULL,
  created_by uuid NOT NULL REFERENCES users (user_id),
  created_at timestamptz NOT NULL
);

CREATE TABLE memberships (
  organization_id uuid NOT NULL REFERENCES organizations (organization_id),
  user_id uuid NOT NULL REFERENCES users (user_id),
  role text NOT NULL CHECK (role IN ('organizer', 'door_staff')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, user_id, role)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE partner_clients (
  partner_client_id uuid PRIMARY KEY,
  name text NOT NULL,
  owner_user_id uuid NOT NULL REFERENCES users (user_id),
  created_at timestamptz NOT NULL
);

CREATE TABLE partner_api_keys (
  key_id uuid PRIMARY KEY,
  partner_client_id uuid NOT NULL REFERENCES partner_clients (partner_client_id),
  secret_hash bytea NOT NULL,
  created_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE INDEX partner_api_keys_by_client ON partner_api_keys (partner_client_id);

-- Down Migration
DROP TABLE partner_api_keys;
DROP TABLE partner_clients;
DROP TABLE memberships;
DROP TABLE organizations;
DROP TABLE users;
