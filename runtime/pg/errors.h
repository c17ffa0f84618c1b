#pragma once

// The one translation from libpqxx exceptions to absl::Status, most specific
// first: unique_violation -> ALREADY_EXISTS, check/foreign-key violations ->
// FAILED_PRECONDITION, serialization_failure/deadlock_detected -> ABORTED
// (the caller may retry), broken_connection -> UNAVAILABLE, an unknown commit
// outcome -> UNAVAILABLE, statement timeout -> DEADLINE_EXCEEDED, anything
// else -> INTERNAL. Messages name the class of failure, never the SQL.

#include <exception>

#include "absl/status/status.h"

namespace agora::runtime::pg {

absl::Status ExceptionToStatus(const std::exception& e);

// True for the codes a whole transaction may be retried on.
bool IsRetryable(const absl::Status& status);

}  // namespace agora::runtime::pg
