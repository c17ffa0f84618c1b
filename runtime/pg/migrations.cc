#include "runtime/pg/migrations.h"

#include <openssl/sha.h>

#include <exception>
#include <map>
#include <pqxx/pqxx>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/log/log.h"
#include "runtime/pg/errors.h"

namespace agora::runtime::pg {
namespace {

constexpr char kCreateTable[] = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  component  text        NOT NULL,
  version    integer     NOT NULL,
  name       text        NOT NULL,
  checksum   text        NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (component, version))
)sql";
constexpr char kLock[] = "SELECT pg_advisory_lock(hashtext('agora.migrations'), hashtext(current_schema()))";
constexpr char kUnlock[] =
    "SELECT pg_advisory_unlock(hashtext('agora.migrations'), hashtext(current_schema()))";
constexpr char kApplied[] = "SELECT component, version, checksum FROM schema_migrations";
constexpr char kRecord[] =
    "INSERT INTO schema_migrations (component, version, name, checksum) VALUES ($1, $2, $3, $4)";

using Applied = std::map<std::pair<std::string, int>, std::string>;

absl::Status Verify(const std::vector<MigrationSet>& sets, const Applied& applied) {
  for (const MigrationSet& set : sets) {
    for (const Migration& m : *set.migrations) {
      auto it = applied.find({set.component, m.version});
      if (it != applied.end() && it->second != MigrationChecksum(m.sql)) {
        return absl::FailedPreconditionError(absl::StrCat(
            "migration ", set.component, "/", m.version, "_", m.name,
            " was changed after it was applied; refusing to start (add a new migration "
            "instead of editing an applied one)"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyLocked(pqxx::connection& conn, const std::vector<MigrationSet>& sets) {
  {
    pqxx::work tx(conn);
    tx.exec(kCreateTable);
    tx.commit();
  }
  Applied applied;
  {
    pqxx::work tx(conn);
    for (const auto& row : tx.exec(kApplied)) {
      applied[{row[0].as<std::string>(), row[1].as<int>()}] = row[2].as<std::string>();
    }
  }
  if (absl::Status s = Verify(sets, applied); !s.ok()) return s;
  for (const MigrationSet& set : sets) {
    for (const Migration& m : *set.migrations) {
      if (applied.count({set.component, m.version}) != 0) continue;
      pqxx::work tx(conn);
      tx.exec(m.sql);
      tx.exec_params(kRecord, set.component, m.version, m.name, MigrationChecksum(m.sql));
      tx.commit();
      log::Info("migration_applied", {{"component", set.component},
                                      {"version", m.version},
                                      {"name", m.name}});
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string MigrationChecksum(const std::string& sql) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(sql.data()), sql.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

absl::Status ApplyMigrations(const ConnectionOptions& options,
                             const std::vector<MigrationSet>& sets) {
  absl::StatusOr<std::unique_ptr<pqxx::connection>> conn = Connect(options);
  if (!conn.ok()) return conn.status();
  try {
    pqxx::nontransaction(**conn).exec(kLock);
    absl::Status status;
    try {
      status = ApplyLocked(**conn, sets);
    } catch (const std::exception& e) {
      status = ExceptionToStatus(e);
      if (status.code() == absl::StatusCode::kInternal) {
        status = absl::InternalError(absl::StrCat("migration failed: ", e.what()));
      }
    }
    pqxx::nontransaction(**conn).exec(kUnlock);
    return status;
  } catch (const std::exception& e) {
    return ExceptionToStatus(e);
  }
}

}  // namespace agora::runtime::pg
