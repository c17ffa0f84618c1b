#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "runtime/auth/verifier_config.h"
#include "runtime/grpc/serve.h"
#include "runtime/kafka/options.h"
#include "runtime/messaging/participant.h"
#include "runtime/pg/options_from_config.h"
#include "saga/definition.h"

namespace agora::saga {

struct Config {
  runtime::grpc_server::ServeConfig serve;
  runtime::pg::PgConfig pg;
  runtime::kafka::KafkaOptions kafka;
  runtime::messaging::MessagingConfig messaging;
  runtime::auth::VerifierConfig jwt;
  // AGORA_CUSTOMERS_ADDRESS: where the signed-out sessions are polled.
  std::string customers_address;
  // AGORA_ORDERS_ADDRESS, AGORA_ORDERS_TIMEOUT: orders, asked about an order
  // whose saga has not started yet (GetOrderSaga).
  std::string orders_address;
  absl::Duration orders_timeout;
  // AGORA_SAGA_GROUP: the coordinators' consumer group.
  std::string group;
  // AGORA_SAGA_STEP_DEADLINE, AGORA_SAGA_MAX_ATTEMPTS, AGORA_SAGA_MAX_WAIT:
  // a step's first wait for its reply, its sends before it times out (before
  // the pivot), and the longest wait between re-sends.
  absl::Duration step_deadline;
  RetryPolicy retry;
  // AGORA_SAGA_SCAN_INTERVAL: how often late steps are looked for.
  absl::Duration scan_interval;
};

// From AGORA_* variables and flags; INVALID_ARGUMENT listing every bad value,
// CANCELLED with the usage text for --help.
absl::StatusOr<Config> LoadConfig(int argc, const char* const* argv);

}  // namespace agora::saga
