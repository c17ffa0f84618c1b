-- Idempotency keys of POST methods (runtime/idempotency/request_keys.h):
-- a key is the caller's, per method; the stored answer is what a repeat gets.
CREATE TABLE request_keys (
  actor        text        NOT NULL,
  method       text        NOT NULL,
  key          text        NOT NULL,
  request_hash bytea       NOT NULL,
  answer       bytea,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (actor, method, key)
);
