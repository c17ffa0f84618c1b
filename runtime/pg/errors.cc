#include "runtime/pg/errors.h"

#include <pqxx/except>

#include "absl/strings/str_cat.h"

namespace agora::runtime::pg {

absl::Status ExceptionToStatus(const std::exception& e) {
  // Order matters: derived classes before their bases.
  if (dynamic_cast<const pqxx::unique_violation*>(&e) != nullptr) {
    return absl::AlreadyExistsError("already exists");
  }
  if (dynamic_cast<const pqxx::check_violation*>(&e) != nullptr ||
      dynamic_cast<const pqxx::foreign_key_violation*>(&e) != nullptr) {
    return absl::FailedPreconditionError("constraint violated");
  }
  if (dynamic_cast<const pqxx::serialization_failure*>(&e) != nullptr ||
      dynamic_cast<const pqxx::deadlock_detected*>(&e) != nullptr) {
    return absl::AbortedError("transaction conflict");
  }
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) {
    return absl::UnavailableError("database connection lost during commit; outcome unknown");
  }
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) {
    return absl::UnavailableError("database unavailable");
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e); sql != nullptr) {
    // 57014 query_canceled: statement_timeout fired.
    if (sql->sqlstate() == "57014") return absl::DeadlineExceededError("database statement timed out");
    // 57P01 admin_shutdown and friends: the server is going away.
    if (sql->sqlstate().rfind("57P", 0) == 0 || sql->sqlstate().rfind("08", 0) == 0) {
      return absl::UnavailableError("database unavailable");
    }
    return absl::InternalError(absl::StrCat("sql error ", sql->sqlstate(), ": ", sql->what()));
  }
  return absl::InternalError(absl::StrCat("database error: ", e.what()));
}

bool IsRetryable(const absl::Status& status) {
  return status.code() == absl::StatusCode::kAborted;
}

}  // namespace agora::runtime::pg
