#pragma once

// Sign-in throttling. Every failed login is charged to the account it named
// (the normalised email, whether an account exists or not, so the throttle
// tells nothing about which emails are registered) and to the client address
// the gateway saw; a registration refused because the email is taken (which
// says that the email exists) is charged to the address only. Past
// `failures` within `window` for an account, or `address_failures` for an
// address, attempts are refused with RESOURCE_EXHAUSTED (429 with
// Retry-After at the gateway) before any password is hashed, until the
// bucket refills (`failures` per `window`). A success, and a request refused
// for its form (a malformed email, a short password), charge nothing.
// Memory is bounded (runtime/limits).
//
// Thread-safe.

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "runtime/limits/rate_limiter.h"

namespace agora::customers {

// The binary's defaults serve a local run (customers/config.cc); the Helm
// chart sets production values.
struct ThrottleOptions {
  int failures = 10;               // per account
  int address_failures = 100;      // per client address
  absl::Duration window = absl::Minutes(15);
};

class LoginThrottle final {
 public:
  explicit LoginThrottle(ThrottleOptions options);

  // OK, or RESOURCE_EXHAUSTED naming the seconds to wait (reason
  // SIGN_IN_THROTTLED, with retry_after_seconds for the gateway's Retry-After).
  absl::Status Check(const std::string& account, const std::string& address, absl::Time now) const;
  // One failure of `account` (may be "") from `address` (may be "").
  void Failed(const std::string& account, const std::string& address, absl::Time now);

 private:
  runtime::limits::RateLimiter by_account_;
  runtime::limits::RateLimiter by_address_;
};

}  // namespace agora::customers
