-- Orders, their lines and the idempotency keys of the orders service.

CREATE TABLE orders (
  id                  uuid        PRIMARY KEY,
  customer_id         uuid        NOT NULL,
  -- The status machine lives in orders/order.h; this only keeps values sane.
  status              text        NOT NULL CHECK (status IN
                        ('PENDING', 'APPROVED', 'REJECTED', 'CANCELLING', 'CANCELLED', 'SHIPPED')),
  rejection_reason    text        CHECK (rejection_reason IN
                        ('OUT_OF_STOCK', 'INSUFFICIENT_FUNDS', 'PRODUCT_UNAVAILABLE',
                         'CANCELLED_BY_CUSTOMER', 'TIMED_OUT', 'ABORTED_BY_OPERATOR')),
  -- Sum of quantity * unit_price_cents, checked against int64 overflow before insert.
  total_cents         bigint      NOT NULL CHECK (total_cents >= 0),
  -- The lines came from the cart (the saga's debit empties it).
  from_cart           boolean     NOT NULL DEFAULT false,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  -- A customer asked to cancel while the order was PENDING; its saga stops it.
  cancel_requested_at timestamptz,
  CHECK ((status = 'REJECTED') = (rejection_reason IS NOT NULL))
);

-- Listings: newest first, a customer's own or everyone's, optionally by status.
CREATE INDEX orders_by_customer ON orders (customer_id, created_at DESC, id DESC);
CREATE INDEX orders_newest ON orders (created_at DESC, id DESC);
CREATE INDEX orders_by_status ON orders (status, created_at DESC, id DESC);

CREATE TABLE order_items (
  order_id         uuid    NOT NULL REFERENCES orders (id),
  -- The line's place in the order, from 1, as the customer (or cart) gave it.
  line_no          integer NOT NULL CHECK (line_no >= 1),
  product_id       uuid    NOT NULL,
  quantity         integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
  -- The product's price when the order was created.
  unit_price_cents bigint  NOT NULL CHECK (unit_price_cents >= 0),
  PRIMARY KEY (order_id, line_no),
  UNIQUE (order_id, product_id)
);

-- Idempotency-Key of a CreateOrder, scoped to the customer. The key row is
-- claimed first in the order's transaction (INSERT ... ON CONFLICT), so a
-- concurrent request with the same key waits and then finds it.
CREATE TABLE idempotency_keys (
  customer_id  uuid        NOT NULL,
  key          text        NOT NULL,
  -- Hex SHA-256 of the request body (orders/order.h, RequestHash).
  request_hash text        NOT NULL,
  order_id     uuid        NOT NULL REFERENCES orders (id) DEFERRABLE INITIALLY DEFERRED,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, key)
);

-- Wakes the watchers of an order (orders/watch_hub.h) when its status changes.
-- The payload is "<order id> <status> <rejection reason or -> <updated_at in
-- unix microseconds>"; NOTIFY is delivered at commit, in commit order.
CREATE FUNCTION orders_status_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('orders_status',
                    concat_ws(' ', NEW.id::text, NEW.status, COALESCE(NEW.rejection_reason, '-'),
                              ((extract(epoch FROM NEW.updated_at) * 1000000)::bigint)::text));
  RETURN NULL;
END
$$;

CREATE TRIGGER orders_status_notify AFTER UPDATE OF status ON orders
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION orders_status_notify();
