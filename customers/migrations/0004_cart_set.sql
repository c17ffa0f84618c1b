-- A cart edit as one statement (PUT and DELETE /v1/customers/me/cart/items/{id}):
-- one round trip in autocommit instead of BEGIN, lock, write, read, COMMIT,
-- so the customer's row lock is held for a commit and little else.
-- Each statement of a VOLATILE function takes a fresh snapshot in READ
-- COMMITTED, so the count after the lock sees every edit that committed
-- while this one waited: the cap holds under races, as it did with the
-- separate statements. The customer's lock serializes one customer's edits.
-- Errors: P0002 no such customer; AGC01 the cart would hold more than
-- p_max products (the whole statement is undone).
CREATE FUNCTION cart_set(p_customer uuid, p_product uuid, p_quantity integer, p_max integer)
RETURNS TABLE (item_product text, item_quantity integer)
LANGUAGE plpgsql VOLATILE SET search_path FROM CURRENT AS $$
BEGIN
  PERFORM 1 FROM customers c WHERE c.id = p_customer FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'customer not found' USING ERRCODE = 'P0002';
  END IF;
  IF p_quantity = 0 THEN
    DELETE FROM cart_items c WHERE c.customer_id = p_customer AND c.product_id = p_product;
  ELSE
    INSERT INTO cart_items AS c (customer_id, product_id, quantity) VALUES (p_customer, p_product, p_quantity)
    ON CONFLICT (customer_id, product_id) DO UPDATE SET quantity = EXCLUDED.quantity;
  END IF;
  IF (SELECT count(*) FROM cart_items c WHERE c.customer_id = p_customer) > p_max THEN
    RAISE EXCEPTION 'a cart holds at most % products', p_max USING ERRCODE = 'AGC01';
  END IF;
  RETURN QUERY SELECT c.product_id::text, c.quantity FROM cart_items c
    WHERE c.customer_id = p_customer ORDER BY c.added_at, c.product_id;
END
$$;
