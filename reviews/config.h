#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "runtime/auth/verifier_config.h"
#include "runtime/grpc/serve.h"
#include "runtime/kafka/options.h"
#include "runtime/pg/options_from_config.h"

namespace agora::reviews {

struct Config {
  runtime::grpc_server::ServeConfig serve;
  runtime::pg::PgConfig pg;
  runtime::kafka::KafkaOptions kafka;
  // Where purchases are learnt: the order events topic (with
  // AGORA_KAFKA_TOPIC_PREFIX), as AGORA_CONSUMER_GROUP.
  std::string order_events_topic;
  std::string consumer_group;
  // The customers service (author names): AGORA_CUSTOMERS_ADDRESS, AGORA_CUSTOMERS_TIMEOUT.
  std::string customers_address;
  absl::Duration customers_timeout;
  // The orders service (verified purchases, asked on every review):
  // AGORA_ORDERS_ADDRESS, AGORA_ORDERS_TIMEOUT.
  std::string orders_address;
  absl::Duration orders_timeout;
  // AGORA_JWT_PUBLIC_KEY_FILE, AGORA_JWT_ISSUER, AGORA_JWT_AUDIENCE.
  runtime::auth::VerifierConfig jwt;
};

// From AGORA_* variables and flags; INVALID_ARGUMENT listing every bad value,
// CANCELLED with the usage text for --help.
absl::StatusOr<Config> LoadConfig(int argc, const char* const* argv);

}  // namespace agora::reviews
