-- Units each product holds for RESERVED reservations. Reserve moves units
-- from stock to held, release moves them back: stock + held changes only by
-- restock, so (per product) created stock + restocks = stock + held.
--
-- The CHECK keeps stock + held representable: a restock must leave room for
-- what is held, and then a release (stock + q, held - q) can never overflow.
-- ReleaseStock, a compensation, has no way to fail.
ALTER TABLE products ADD COLUMN held bigint NOT NULL DEFAULT 0;
UPDATE products p SET held = s.units
FROM (SELECT l.product_id, sum(l.quantity)::bigint AS units
      FROM reservation_lines l JOIN reservations r ON r.order_id = l.order_id
      WHERE r.state = 'RESERVED' GROUP BY l.product_id) s
WHERE p.id = s.product_id;
ALTER TABLE products
  ADD CONSTRAINT products_held_nonnegative CHECK (held >= 0),
  ADD CONSTRAINT products_stock_and_held_fit CHECK (stock <= 9223372036854775807 - held);
