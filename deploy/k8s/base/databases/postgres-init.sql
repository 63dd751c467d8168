-- Database per service on the development PostgreSQL: a role per service that owns its own
-- database, and nobody else may connect to it. Idempotent (psql \gexec), so it runs on every
-- `docker compose up` (the postgres-init service) and as the Kubernetes dev StatefulSet's initdb
-- script. The services create a missing database themselves and migrate it at start; this file
-- only makes sure each has its own role. Passwords are for development stacks only: production
-- takes its URLs from Secrets (deploy/k8s/overlays/prod). `npm run new-service` appends a block.

-- accounts
SELECT 'CREATE ROLE accounts LOGIN PASSWORD ''accounts-dev-password''' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'accounts') \gexec
SELECT 'CREATE DATABASE marquee_accounts OWNER accounts' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'marquee_accounts') \gexec
ALTER DATABASE marquee_accounts OWNER TO accounts;
REVOKE CONNECT ON DATABASE marquee_accounts FROM PUBLIC;

-- inventory
SELECT 'CREATE ROLE inventory LOGIN PASSWORD ''inventory-dev-password''' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'inventory') \gexec
SELECT 'CREATE DATABASE marquee_inventory OWNER inventory' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'marquee_inventory') \gexec
ALTER DATABASE marquee_inventory OWNER TO inventory;
REVOKE CONNECT ON DATABASE marquee_inventory FROM PUBLIC;

-- wallet
SELECT 'CREATE ROLE wallet LOGIN PASSWORD ''wallet-dev-password''' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wallet') \gexec
SELECT 'CREATE DATABASE marquee_wallet OWNER wallet' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'marquee_wallet') \gexec
ALTER DATABASE marquee_wallet OWNER TO wallet;
REVOKE CONNECT ON DATABASE marquee_wallet FROM PUBLIC;

-- orders
SELECT 'CREATE ROLE orders LOGIN PASSWORD ''orders-dev-password''' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'orders') \gexec
SELECT 'CREATE DATABASE marquee_orders OWNER orders' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'marquee_orders') \gexec
ALTER DATABASE marquee_orders OWNER TO orders;
REVOKE CONNECT ON DATABASE marquee_orders FROM PUBLIC;

-- bff-partner (idempotency keys, webhook endpoints and deliveries)
SELECT 'CREATE ROLE bff_partner LOGIN PASSWORD ''bff-partner-dev-password''' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bff_partner') \gexec
SELECT 'CREATE DATABASE marquee_partner OWNER bff_partner' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'marquee_partner') \gexec
ALTER DATABASE marquee_partner OWNER TO bff_partner;
REVOKE CONNECT ON DATABASE marquee_partner FROM PUBLIC;
