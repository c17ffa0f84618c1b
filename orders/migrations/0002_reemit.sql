-- When a PENDING order's events were last published again (orders/reemit.h):
-- a lost OrderCreated must not leave an order PENDING forever.
ALTER TABLE orders ADD COLUMN reemitted_at timestamptz;
CREATE INDEX orders_pending ON orders (updated_at) WHERE status = 'PENDING';
