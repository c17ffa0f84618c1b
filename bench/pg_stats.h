#pragma once

// What the benchmark load generators read from the benchmark's PostgreSQL
// (tools/pg/cluster.sh: database agora, superuser postgres/postgres).

#include <pqxx/pqxx>

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"

namespace agora::bench {

inline std::string SuperuserConnection(int port) {
  return absl::StrCat("host=127.0.0.1 port=", port, " dbname=agora user=postgres password=postgres");
}

// Transactions committed in database agora so far (pg_stat_database).
inline int64_t Commits(pqxx::connection& c) {
  pqxx::nontransaction q(c);
  // The statistics are a snapshot per transaction: clear it first.
  q.exec("SELECT pg_stat_clear_snapshot()");
  return q.exec("SELECT xact_commit FROM pg_stat_database WHERE datname = 'agora'")[0][0].as<int64_t>();
}

}  // namespace agora::bench
