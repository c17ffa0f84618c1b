-- The in-flight gauges (sagas running or compensating, per type, and the
-- oldest) are refreshed every few seconds: they read only the sagas not yet
-- ended, never the whole history.
CREATE INDEX sagas_running ON sagas (type, started_at) WHERE status IN ('RUNNING', 'COMPENSATING');
