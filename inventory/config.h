#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "runtime/auth/verifier_config.h"
#include "runtime/grpc/serve.h"
#include "runtime/kafka/options.h"
#include "runtime/messaging/participant.h"
#include "runtime/pg/options_from_config.h"

namespace agora::inventory {

struct Config {
  runtime::grpc_server::ServeConfig serve;
  runtime::pg::PgConfig pg;
  runtime::auth::VerifierConfig jwt;
  // AGORA_CUSTOMERS_ADDRESS: where the signed-out sessions are polled.
  std::string customers_address;
  runtime::kafka::KafkaOptions kafka;
  runtime::messaging::MessagingConfig messaging;
  // AGORA_CATALOG_CACHE_SIZE: products the read cache holds; 0 turns it off.
  int catalog_cache_size = 100000;
};

// From AGORA_* variables and flags; INVALID_ARGUMENT listing every bad value,
// CANCELLED with the usage text for --help.
absl::StatusOr<Config> LoadConfig(int argc, const char* const* argv);

}  // namespace agora::inventory
