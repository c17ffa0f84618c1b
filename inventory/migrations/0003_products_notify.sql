-- Changes made to products with SQL outside the services (an operator's
-- psql) reach the catalog caches (inventory/product_cache.h) too: this
-- trigger notifies <schema>_products with the changed ids, 100 per
-- notification. The services' own writes notify after their commit instead
-- (inventory/pg_store.cc, Changed): their pool sessions set
-- agora.outbox_notify = off, which turns this off (a NOTIFY inside a
-- transaction serializes its commit with every other notifying one).
CREATE FUNCTION products_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids text;
BEGIN
  IF current_setting('agora.outbox_notify', true) IS DISTINCT FROM 'off' THEN
    FOR ids IN
      SELECT string_agg(id::text, ',') FROM (SELECT id, (row_number() OVER ()) / 100 AS chunk FROM changed) c
      GROUP BY chunk
    LOOP
      PERFORM pg_notify(TG_TABLE_SCHEMA || '_products', ids);
    END LOOP;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER products_notify_update AFTER UPDATE ON products
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION products_notify();
CREATE TRIGGER products_notify_delete AFTER DELETE ON products
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION products_notify();
