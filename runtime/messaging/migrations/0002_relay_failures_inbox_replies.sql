-- Relay failures (runtime/messaging/relay.h) and inbox replies keyed by order.

-- A row that failed to publish waits for next_attempt_at, and so do the rows
-- of its key after it (order per key). `attempts` counts its failures,
-- `refusals` those for a reason of the message's own.
ALTER TABLE outbox
  ADD COLUMN attempts        integer     NOT NULL DEFAULT 0,
  ADD COLUMN refusals        integer     NOT NULL DEFAULT 0,
  ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT '-infinity',
  ADD COLUMN last_error      text;

-- Only rows that failed: the relay's check "no earlier row of my key waits".
CREATE INDEX outbox_waiting ON outbox (message_key, id) WHERE attempts > 0;

-- Rows that kept being refused for a reason of their own (a message too
-- large, a topic refused), moved out after the relay's max refusals so that
-- the rest of their key goes on. Alerted on (agora_outbox_dead_rows); an
-- operator re-queues one with INSERT INTO outbox (topic, message_key,
-- message_id, payload) SELECT ... and deletes it here.
CREATE TABLE outbox_dead (
  id          bigserial   PRIMARY KEY,
  outbox_id   bigint      NOT NULL,
  topic       text        NOT NULL,
  message_key text        NOT NULL,
  message_id  text        NOT NULL,
  payload     bytea       NOT NULL,
  created_at  timestamptz NOT NULL,
  attempts    integer     NOT NULL,
  last_error  text        NOT NULL,
  died_at     timestamptz NOT NULL DEFAULT now()
);

-- The key (order id) under which a stored reply is re-sent.
ALTER TABLE inbox ADD COLUMN reply_key text;
-- Pruning by age (runtime/messaging/inbox.h).
CREATE INDEX inbox_received ON inbox (received_at);
