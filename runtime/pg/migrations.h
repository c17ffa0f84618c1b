#pragma once

// Versioned SQL migrations compiled into the binary (cmake agora_embed_sql)
// and applied at start.
//
// Each component (the runtime's messaging tables, the service's own schema)
// has its own version sequence; applied versions are recorded with a SHA-256
// of their text in <schema>.schema_migrations. Everything runs under a
// session advisory lock per schema, so replicas starting together apply each
// migration once. Each migration runs in its own transaction.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "runtime/pg/pool.h"

namespace agora::runtime::pg {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

struct MigrationSet {
  std::string component;  // e.g. "messaging", "inventory"
  const std::vector<Migration>* migrations;
};

// Applies what is pending, in order. FAILED_PRECONDITION (and nothing
// applied) when an already applied migration's text changed, naming it;
// UNAVAILABLE when the database cannot be reached. A version recorded in
// the database but unknown to the binary (a newer binary ran) is allowed.
absl::Status ApplyMigrations(const ConnectionOptions& options, const std::vector<MigrationSet>& sets);

// Hex SHA-256 of a migration's SQL.
std::string MigrationChecksum(const std::string& sql);

}  // namespace agora::runtime::pg
