#pragma once

// The rule for an idempotency key, shared by the services (which store keys)
// and the gateway (which refuses a bad Idempotency-Key header before it goes
// into a request message). No protobuf or libpqxx: the gateway's fuzz
// targets link it alone.

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"

namespace agora::runtime::idempotency {

// At most this many code points.
inline constexpr size_t kMaxKeyLength = 255;

// A key is valid UTF-8, at most kMaxKeyLength code points, without control
// characters (a NUL would cut it short in PostgreSQL); "" is no key.
// INVALID_ARGUMENT naming idempotencyKey otherwise.
absl::Status ValidateKey(std::string_view key);

}  // namespace agora::runtime::idempotency
