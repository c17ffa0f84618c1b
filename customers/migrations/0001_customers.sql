-- Accounts, refresh-token families, balance and ledger, cart and favourites.

CREATE TABLE customers (
  id            uuid        PRIMARY KEY,
  email         text        NOT NULL,  -- normalised: lowercase, trimmed
  display_name  text        NOT NULL,
  password_hash text        NOT NULL,  -- Argon2id, libsodium's encoded form
  roles         text[]      NOT NULL DEFAULT '{customer}',
  balance_cents bigint      NOT NULL DEFAULT 0 CHECK (balance_cents >= 0),
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX customers_email ON customers (email);

-- Each login starts a family; a refresh spends its token and issues the next
-- of the same family; a spent token presented again revokes the family.
CREATE TABLE refresh_families (
  id          uuid        PRIMARY KEY,
  customer_id uuid        NOT NULL REFERENCES customers (id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);

CREATE TABLE refresh_tokens (
  token_hash bytea       PRIMARY KEY,  -- SHA-256 of the token; the token itself is never stored
  family_id  uuid        NOT NULL REFERENCES refresh_families (id),
  expires_at timestamptz NOT NULL,
  spent_at   timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- Every change of balance, in the same transaction as the change.
CREATE TABLE ledger (
  seq          bigserial   PRIMARY KEY,
  id           uuid        NOT NULL UNIQUE,
  customer_id  uuid        NOT NULL REFERENCES customers (id),
  kind         text        NOT NULL CHECK (kind IN ('TOP_UP', 'ORDER_DEBIT', 'ORDER_REFUND')),
  amount_cents bigint      NOT NULL,  -- signed: debits are negative
  order_id     uuid,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_customer ON ledger (customer_id, seq DESC);

-- Idempotency keys of top-ups, per customer.
CREATE TABLE topup_keys (
  customer_id   uuid        NOT NULL REFERENCES customers (id),
  key           text        NOT NULL,
  amount_cents  bigint      NOT NULL,
  balance_cents bigint,     -- the answer of the first request
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, key)
);

-- The saga's debit of an order, once: DEBITED, INSUFFICIENT_FUNDS, or
-- REFUNDED (also a tombstone when the refund came first, refusing a late debit).
CREATE TABLE order_payments (
  order_id     uuid        PRIMARY KEY,
  customer_id  uuid        NOT NULL,
  state        text        NOT NULL CHECK (state IN ('PENDING', 'DEBITED', 'INSUFFICIENT_FUNDS', 'REFUNDED')),
  amount_cents bigint      NOT NULL DEFAULT 0 CHECK (amount_cents >= 0),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE cart_items (
  customer_id uuid        NOT NULL REFERENCES customers (id),
  product_id  uuid        NOT NULL,
  quantity    integer     NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
  added_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, product_id)
);

CREATE TABLE favorites (
  customer_id uuid        NOT NULL REFERENCES customers (id),
  product_id  uuid        NOT NULL,
  added_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, product_id)
);
