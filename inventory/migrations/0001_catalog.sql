-- Products and stock reservations of the inventory service.

CREATE TABLE products (
  id          uuid        PRIMARY KEY,
  sku         text        NOT NULL,
  name        text        NOT NULL,
  description text        NOT NULL DEFAULT '',
  price_cents bigint      NOT NULL CHECK (price_cents >= 0),
  -- Units available now; reserved units are already subtracted.
  stock       bigint      NOT NULL CHECK (stock >= 0),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  deleted_at  timestamptz
);

-- A sku names one live product; a deleted product's sku may be used again.
CREATE UNIQUE INDEX products_live_sku ON products (sku) WHERE deleted_at IS NULL;
CREATE INDEX products_live_listing ON products (created_at, id) WHERE deleted_at IS NULL;

-- One row per order that ever asked for or released stock.
CREATE TABLE reservations (
  order_id          uuid        PRIMARY KEY,
  -- RESERVED: holds its lines; FAILED: nothing was taken; RELEASED: returned
  -- (or a tombstone: released before any reservation, refusing a late one).
  state             text        NOT NULL CHECK (state IN ('RESERVED', 'FAILED', 'RELEASED')),
  outcome           text        NOT NULL,
  failed_product_id uuid,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reservation_lines (
  order_id   uuid   NOT NULL REFERENCES reservations (order_id),
  product_id uuid   NOT NULL REFERENCES products (id),
  quantity   bigint NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (order_id, product_id)
);
