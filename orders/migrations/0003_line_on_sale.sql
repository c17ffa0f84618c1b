-- Whether the line's product was on sale when the order was created (orders
-- priced it). The saga's ReserveStock carries it: a product soft-deleted
-- after the order was placed is still reserved for that order (API.md:
-- "orders that hold it unaffected"). Lines recorded before this column
-- read false: they keep the old rule, a deleted product is unavailable.
ALTER TABLE order_items ADD COLUMN on_sale boolean NOT NULL DEFAULT false;
