#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "runtime/auth/verifier_config.h"
#include "runtime/grpc/serve.h"
#include "runtime/kafka/options.h"
#include "runtime/messaging/participant.h"
#include "runtime/pg/options_from_config.h"

namespace agora::orders {

struct Config {
  runtime::grpc_server::ServeConfig serve;
  runtime::pg::PgConfig pg;
  runtime::kafka::KafkaOptions kafka;  // the relay's producer, the command consumer
  runtime::messaging::MessagingConfig messaging;
  // AGORA_ORDERS_REEMIT_AFTER: a PENDING order's events are published again
  // after this long without a change (a lost OrderCreated); 0 disables.
  absl::Duration reemit_after;
  // AGORA_INVENTORY_ADDRESS (prices), AGORA_CUSTOMERS_ADDRESS (carts), and
  // AGORA_BACKEND_TIMEOUT, the deadline of each call to them.
  std::string inventory_address;
  std::string customers_address;
  absl::Duration backend_timeout;
  // AGORA_JWT_PUBLIC_KEY_FILE, AGORA_JWT_ISSUER, AGORA_JWT_AUDIENCE.
  runtime::auth::VerifierConfig jwt;
};

// From AGORA_* variables and flags; INVALID_ARGUMENT listing every bad value,
// CANCELLED with the usage text for --help.
absl::StatusOr<Config> LoadConfig(int argc, const char* const* argv);

}  // namespace agora::orders
