-- The outbox trigger's NOTIFY can be turned off per session: the services'
-- connection pools set agora.outbox_notify = off and wake the relay
-- themselves once the transaction committed (runtime/pg/pool.h,
-- NoteOutboxAppend: a NOTIFY inside a transaction serializes its commit with
-- every other notifying one, WAL flush included). Any other session, an
-- operator's psql re-queuing a dead row for one, still wakes the relay here.
CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('agora.outbox_notify', true) IS DISTINCT FROM 'off' THEN
    PERFORM pg_notify(TG_TABLE_SCHEMA || '_outbox', '');
  END IF;
  RETURN NULL;
END
$$;
