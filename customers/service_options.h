#pragma once

// The settings of the customers service (config.h fills them), apart from
// service.h so that configuration does not include gRPC.

#include <cstdint>

#include "absl/time/time.h"
#include "customers/login_throttle.h"
#include "runtime/auth/jwt.h"

namespace agora::customers {

struct ServiceOptions {
  absl::Duration refresh_token_ttl = absl::Hours(24 * 30);
  // TopUp is a demo payment: on only where it is configured (a local run,
  // tests); off, it answers PERMISSION_DENIED, reason DEMO_PAYMENTS_OFF.
  bool demo_payments = false;
  // Most top-ups a customer may make in 24 hours, in cents (reason
  // TOP_UP_LIMIT past it).
  int64_t demo_daily_cap_cents = 1'000'000'000;
  ThrottleOptions throttle;
  // The keys GetJwks publishes and tokens are verified with: the signing
  // key's and AGORA_JWT_PUBLIC_KEY_FILE's (empty: the signing key's only).
  runtime::auth::KeySet published_keys;
};

}  // namespace agora::customers
