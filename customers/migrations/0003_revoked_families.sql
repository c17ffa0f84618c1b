-- The families revoked lately (Customers.ListRevokedSessions, polled every
-- few seconds by the gateway and each service) are found without a scan.
CREATE INDEX refresh_families_revoked ON refresh_families (revoked_at) WHERE revoked_at IS NOT NULL;
