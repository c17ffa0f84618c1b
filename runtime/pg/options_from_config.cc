#include "runtime/pg/options_from_config.h"

namespace agora::runtime::pg {

void ReadPgConfig(config::Reader& r, const std::string& service, PgConfig* out) {
  ConnectionOptions& c = out->connection;
  r.String("AGORA_PG_HOST", "127.0.0.1", &c.host, "PostgreSQL host");
  r.Int("AGORA_PG_PORT", 5432, 1, 65535, &c.port, "PostgreSQL port");
  r.String("AGORA_PG_DATABASE", "agora", &c.dbname, "database holding every service's schema");
  r.String("AGORA_PG_USER", service, &c.user, "this service's own role");
  r.String("AGORA_PG_PASSWORD", service, &c.password, "password of the role (local-run default: the role name)");
  r.String("AGORA_PG_SCHEMA", service, &c.schema, "the service's schema (search_path)");
  r.Int("AGORA_PG_POOL_SIZE", 8, 1, 256, &out->pool_size,
        "connections to PostgreSQL; also the number of worker threads");
  r.Int("AGORA_PG_STATEMENT_TIMEOUT_MS", 10000, 0, 3600000, &c.statement_timeout_ms,
        "statement_timeout of every session (0: none)");
  c.application_name = "agora-" + service;
}

}  // namespace agora::runtime::pg
