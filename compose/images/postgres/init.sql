-- Run once at image build time by the postgres superuser.
-- app/app owns the application's database. It is also in pg_monitor, so postgres-exporter can
-- log in as app (or as postgres/postgres) and see every statistics view.
CREATE ROLE app LOGIN PASSWORD 'app';
GRANT pg_monitor TO app;
CREATE DATABASE app OWNER app;

\connect app app

CREATE TABLE items (
    id          integer PRIMARY KEY,
    name        text    NOT NULL,
    price_cents integer NOT NULL CHECK (price_cents >= 0)
);

INSERT INTO items (id, name, price_cents)
SELECT n, 'item ' || lpad(n::text, 2, '0'), 250 * n
FROM generate_series(1, 20) AS n;

CREATE TABLE orders (
    id         bigserial   PRIMARY KEY,
    item_id    integer     NOT NULL REFERENCES items (id),
    quantity   integer     NOT NULL CHECK (quantity > 0),
    created_at timestamptz NOT NULL DEFAULT now()
);

ANALYZE items, orders;
