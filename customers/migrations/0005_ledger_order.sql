-- The ledger is listed newest first by created_at (API.md), so created_at is
-- when the row was written (clock_timestamp), not when its transaction began
-- (now()): a top-up that waited for the customer's row lock behind another
-- was listed after it (by seq) but dated before it. Pages follow
-- (created_at, seq); the index serves them and the daily top-up sum.
ALTER TABLE ledger ALTER COLUMN created_at SET DEFAULT clock_timestamp();
CREATE INDEX ledger_customer_time ON ledger (customer_id, created_at, seq);
DROP INDEX ledger_customer;
