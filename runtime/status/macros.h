#pragma once

// Abseil 20220623 ships no RETURN_IF_ERROR / ASSIGN_OR_RETURN; these are the
// two we use, with the same meaning as in google-cloud-cpp and Abseil's
// internal ones.

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define AGORA_STATUS_CONCAT_INNER_(a, b) a##b
#define AGORA_STATUS_CONCAT_(a, b) AGORA_STATUS_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function when `expr` is not OK.
#define AGORA_RETURN_IF_ERROR(expr)                   \
  do {                                                \
    if (::absl::Status agora_status_ = (expr); !agora_status_.ok()) { \
      return agora_status_;                           \
    }                                                 \
  } while (false)

// `lhs = *expr` when `expr` (an absl::StatusOr) is OK, else returns its status.
#define AGORA_ASSIGN_OR_RETURN(lhs, expr) \
  AGORA_ASSIGN_OR_RETURN_IMPL_(AGORA_STATUS_CONCAT_(agora_statusor_, __LINE__), lhs, expr)

#define AGORA_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()
