-- What each customer could get back: the sum of their DEBITED payments.
-- Debit moves cents from balance to refundable, refund moves them back, so
-- balance + refundable changes only by top-ups.
--
-- The CHECK keeps balance + refundable representable: a top-up must leave
-- room for what may be refunded, and then a refund (balance + a,
-- refundable - a) can never overflow. RefundBalance, a compensation, has no
-- way to fail.
ALTER TABLE customers ADD COLUMN refundable_cents bigint NOT NULL DEFAULT 0;
UPDATE customers c SET refundable_cents = s.total
FROM (SELECT customer_id, sum(amount_cents)::bigint AS total FROM order_payments
      WHERE state = 'DEBITED' GROUP BY customer_id) s
WHERE c.id = s.customer_id;
ALTER TABLE customers
  ADD CONSTRAINT customers_refundable_nonnegative CHECK (refundable_cents >= 0),
  ADD CONSTRAINT customers_balance_and_refundable_fit
    CHECK (balance_cents <= 9223372036854775807 - refundable_cents);

-- The cart lines a fromCart debit took, so that the compensation of a
-- rejected order can put them back.
ALTER TABLE order_payments
  ADD COLUMN cart_products   uuid[]    NOT NULL DEFAULT '{}',
  ADD COLUMN cart_quantities integer[] NOT NULL DEFAULT '{}';
