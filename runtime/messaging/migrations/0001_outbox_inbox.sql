-- The transactional outbox and inbox of a service (runtime/messaging).

CREATE TABLE outbox (
  id          bigserial   PRIMARY KEY,
  topic       text        NOT NULL,
  message_key text        NOT NULL,
  message_id  text        NOT NULL,
  payload     bytea       NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Wakes the relay when a transaction that wrote to the outbox commits
-- (NOTIFY is delivered at commit, never for a rollback).
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify(TG_TABLE_SCHEMA || '_outbox', '');
  RETURN NULL;
END
$$;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

CREATE TABLE inbox (
  message_id  text        PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now(),
  -- The reply a participant sent for this message, re-sent on a duplicate.
  reply_topic text,
  reply       bytea
);
