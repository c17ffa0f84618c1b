-- The coordinator's sagas (saga/pg_store.h): one row each, its whole state
-- in `record` (agora.saga.v1.SagaRecord), with the columns the queries need.

CREATE TABLE sagas (
  id           uuid        PRIMARY KEY,
  order_id     uuid        NOT NULL,
  type         text        NOT NULL CHECK (type IN ('PLACE_ORDER', 'CANCEL_ORDER')),
  status       text        NOT NULL CHECK (status IN ('RUNNING', 'COMPENSATING', 'COMPLETED', 'FAILED')),
  current_step text        NOT NULL DEFAULT '',
  -- When the outstanding command is sent again; NULL once ended.
  deadline     timestamptz,
  record       bytea       NOT NULL,
  started_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  -- One saga per order and type.
  UNIQUE (order_id, type)
);
CREATE INDEX sagas_due ON sagas (deadline) WHERE deadline IS NOT NULL;
CREATE INDEX sagas_newest ON sagas (started_at DESC, id DESC);

-- A cancel that came before its order's OrderCreated: applied when the
-- saga starts.
CREATE TABLE early_cancels (
  order_id    uuid        PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now()
);
