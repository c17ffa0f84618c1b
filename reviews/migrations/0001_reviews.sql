-- Reviews, rating summaries and verified purchases of the reviews service.

CREATE TABLE reviews (
  id                uuid        PRIMARY KEY,
  product_id        uuid        NOT NULL,
  customer_id       uuid        NOT NULL,
  -- The author's display name when the review was written.
  author_name       text        NOT NULL,
  rating            smallint    NOT NULL CHECK (rating BETWEEN 1 AND 5),
  body              text        NOT NULL,
  verified_purchase boolean     NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  -- One review per customer and product.
  UNIQUE (customer_id, product_id)
);

-- A product's reviews, newest first (scanned backwards).
CREATE INDEX reviews_by_product ON reviews (product_id, created_at, id);

-- Kept in the transaction of every review created or deleted, so that
-- review_count always equals the product's rows in reviews.
CREATE TABLE rating_summaries (
  product_id   uuid        PRIMARY KEY,
  review_count bigint      NOT NULL CHECK (review_count >= 0),
  rating_sum   bigint      NOT NULL CHECK (rating_sum >= 0),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Who bought what, from the order events (agora.orders.events): one row per
-- order and product, holding the order's latest known state.
CREATE TABLE purchases (
  order_id      uuid        NOT NULL,
  product_id    uuid        NOT NULL,
  customer_id   uuid        NOT NULL,
  state         text        NOT NULL CHECK (state IN ('PENDING', 'APPROVED', 'REJECTED',
                                                      'CANCELLING', 'CANCELLED', 'SHIPPED')),
  -- States only move to a higher rank (reviews/review.h, OrderStateRank).
  state_rank    smallint    NOT NULL,
  -- The state lets the customer review the product (APPROVED, SHIPPED).
  grants_review boolean     NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (order_id, product_id)
);

CREATE INDEX purchases_by_buyer ON purchases (customer_id, product_id) WHERE grants_review;
