-- The invariants of a chaos run, over EVERY order, customer and product of
-- the run's database (not only those the load generator heard back about: a
-- request whose answer a killed gateway never sent still made an order).
-- Run as the superuser once the run has drained. Prints one line per
-- invariant: "ok <name> (<n> checked)" or "VIOLATION <name>: <count>" with up
-- to 5 examples after it. public.chaos_products holds each product's stock as
-- seeded (chaos_load); nothing restocks during a run.
\pset format unaligned
\pset tuples_only on
\pset footer off

CREATE TEMP TABLE results (n serial, name text, checked bigint, bad bigint, examples text);

-- Money -------------------------------------------------------------------
-- Every customer's balance equals the sum of their ledger, and is not negative.
INSERT INTO results (name, checked, bad, examples)
SELECT 'balance = ledger sum >= 0 (per customer)', count(*), count(*) FILTER (WHERE bad),
       string_agg(CASE WHEN bad THEN id::text || ' balance ' || balance_cents || ' ledger ' || ledger END, '; ')
FROM (SELECT c.id, c.balance_cents, COALESCE(l.total, 0) AS ledger,
             c.balance_cents <> COALESCE(l.total, 0) OR c.balance_cents < 0 AS bad
      FROM customers.customers c
      LEFT JOIN (SELECT customer_id, sum(amount_cents) AS total FROM customers.ledger GROUP BY 1) l
        ON l.customer_id = c.id) t;

-- No order debited twice or refunded twice.
INSERT INTO results (name, checked, bad, examples)
SELECT 'at most one debit and one refund per order', count(*), count(*) FILTER (WHERE debits > 1 OR refunds > 1),
       string_agg(CASE WHEN debits > 1 OR refunds > 1
                       THEN order_id::text || ' debits ' || debits || ' refunds ' || refunds END, '; ')
FROM (SELECT order_id, count(*) FILTER (WHERE kind = 'ORDER_DEBIT') AS debits,
             count(*) FILTER (WHERE kind = 'ORDER_REFUND') AS refunds
      FROM customers.ledger WHERE order_id IS NOT NULL GROUP BY 1) t;

-- An APPROVED (or SHIPPED) order holds exactly its total; a REJECTED or
-- CANCELLED one holds nothing.
INSERT INTO results (name, checked, bad, examples)
SELECT 'money held per order matches its status', count(*), count(*) FILTER (WHERE held <> want),
       string_agg(CASE WHEN held <> want THEN id::text || ' ' || status || ' holds ' || held || ' wants ' || want END,
                  '; ')
FROM (SELECT o.id, o.status, -COALESCE(sum(l.amount_cents), 0) AS held,
             CASE WHEN o.status IN ('APPROVED', 'SHIPPED') THEN o.total_cents ELSE 0 END AS want
      FROM orders.orders o LEFT JOIN customers.ledger l ON l.order_id = o.id
      GROUP BY o.id, o.status, o.total_cents) t;

-- Across the shop: what customers hold = what they topped up - what approved orders cost.
INSERT INTO results (name, checked, bad, examples)
SELECT 'sum of balances = top-ups - approved totals', 1, (b <> t - a)::int,
       CASE WHEN b <> t - a THEN 'balances ' || b || ' top-ups ' || t || ' approved ' || a END
FROM (SELECT (SELECT COALESCE(sum(balance_cents), 0) FROM customers.customers) AS b,
             (SELECT COALESCE(sum(amount_cents), 0) FROM customers.ledger WHERE kind = 'TOP_UP') AS t,
             (SELECT COALESCE(sum(total_cents), 0) FROM orders.orders WHERE status IN ('APPROVED', 'SHIPPED')) AS a) x;

-- Stock ---------------------------------------------------------------------
-- Per product: stock + held is what was seeded, neither negative, and held
-- is exactly the units of the APPROVED (or SHIPPED) orders.
INSERT INTO results (name, checked, bad, examples)
SELECT 'stock + held = seeded, held = approved units (per product)', count(*), count(*) FILTER (WHERE bad),
       string_agg(CASE WHEN bad THEN id::text || ' stock ' || stock || ' held ' || held || ' seeded ' || seeded ||
                                     ' approved units ' || approved END, '; ')
FROM (SELECT p.id, p.stock, p.held, s.initial_stock AS seeded, COALESCE(a.units, 0) AS approved,
             p.stock + p.held <> s.initial_stock OR p.stock < 0 OR p.held < 0 OR p.held <> COALESCE(a.units, 0) AS bad
      FROM inventory.products p
      JOIN public.chaos_products s ON s.id = p.id
      LEFT JOIN (SELECT i.product_id, sum(i.quantity) AS units FROM orders.order_items i
                 JOIN orders.orders o ON o.id = i.order_id AND o.status IN ('APPROVED', 'SHIPPED')
                 GROUP BY 1) a ON a.product_id = p.id) t;

-- Per order: an APPROVED (or SHIPPED) order's stock is reserved, a REJECTED
-- or CANCELLED one's is not (released, failed, or never reserved).
INSERT INTO results (name, checked, bad, examples)
SELECT 'stock held per order matches its status', count(*), count(*) FILTER (WHERE bad),
       string_agg(CASE WHEN bad THEN id::text || ' ' || status || ' reservation ' || COALESCE(state, 'none') END, '; ')
FROM (SELECT o.id, o.status, r.state,
             CASE WHEN o.status IN ('APPROVED', 'SHIPPED') THEN r.state IS DISTINCT FROM 'RESERVED'
                  WHEN o.status IN ('REJECTED', 'CANCELLED') THEN r.state = 'RESERVED'
                  ELSE false END AS bad
      FROM orders.orders o LEFT JOIN inventory.reservations r ON r.order_id = o.id) t;

-- Sagas and statuses ----------------------------------------------------------
-- Every order ended (nothing PENDING or CANCELLING after the drain).
INSERT INTO results (name, checked, bad, examples)
SELECT 'every order ended', count(*), count(*) FILTER (WHERE status IN ('PENDING', 'CANCELLING')),
       string_agg(CASE WHEN status IN ('PENDING', 'CANCELLING') THEN id::text || ' ' || status END, '; ')
FROM orders.orders;

-- Exactly one place-order saga per order, ended; every saga ended.
INSERT INTO results (name, checked, bad, examples)
SELECT 'one ended PLACE_ORDER saga per order', count(*), count(*) FILTER (WHERE sagas <> 1 OR running > 0),
       string_agg(CASE WHEN sagas <> 1 OR running > 0 THEN id::text || ' sagas ' || sagas || ' running ' || running END,
                  '; ')
FROM (SELECT o.id, count(s.id) AS sagas, count(s.id) FILTER (WHERE s.status IN ('RUNNING', 'COMPENSATING')) AS running
      FROM orders.orders o LEFT JOIN saga.sagas s ON s.order_id = o.id AND s.type = 'PLACE_ORDER'
      GROUP BY o.id) t;

INSERT INTO results (name, checked, bad, examples)
SELECT 'every saga ended', count(*), count(*) FILTER (WHERE status IN ('RUNNING', 'COMPENSATING')),
       string_agg(CASE WHEN status IN ('RUNNING', 'COMPENSATING') THEN id::text || ' ' || type || ' ' || status END, '; ')
FROM saga.sagas;

-- A CANCELLED order went through a completed cancel saga (refund, stock back).
INSERT INTO results (name, checked, bad, examples)
SELECT 'every CANCELLED order has a completed CANCEL_ORDER saga', count(*), count(*) FILTER (WHERE NOT ok),
       string_agg(CASE WHEN NOT ok THEN id::text END, '; ')
FROM (SELECT o.id, EXISTS (SELECT 1 FROM saga.sagas s WHERE s.order_id = o.id AND s.type = 'CANCEL_ORDER'
                                                        AND s.status = 'COMPLETED') AS ok
      FROM orders.orders o WHERE o.status = 'CANCELLED') t;

-- A cancel accepted while the order was PENDING was applied: the order ended
-- REJECTED (its saga stopped) or CANCELLED (after the cancel saga), never
-- APPROVED with the request forgotten.
INSERT INTO results (name, checked, bad, examples)
SELECT 'every accepted cancel ended its order REJECTED or CANCELLED', count(*),
       count(*) FILTER (WHERE status NOT IN ('REJECTED', 'CANCELLED')),
       string_agg(CASE WHEN status NOT IN ('REJECTED', 'CANCELLED') THEN id::text || ' ' || status END, '; ')
FROM orders.orders WHERE cancel_requested_at IS NOT NULL;

-- A cancel parked because it came before its order's saga was taken when
-- that saga started.
INSERT INTO results (name, checked, bad, examples)
SELECT 'no early cancel left beside a started saga', (SELECT count(*) FROM saga.early_cancels), count(*),
       string_agg(e.order_id::text, '; ')
FROM saga.early_cancels e WHERE EXISTS (SELECT 1 FROM saga.sagas s WHERE s.order_id = e.order_id);

SELECT CASE WHEN bad = 0 THEN 'ok ' || name || ' (' || checked || ' checked)'
            ELSE 'VIOLATION ' || name || ': ' || bad || ' of ' || checked || E'\n    e.g. ' ||
                 array_to_string((string_to_array(examples, '; '))[1:5], E'\n    e.g. ') END
FROM results ORDER BY n;
