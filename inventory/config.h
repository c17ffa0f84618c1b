#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "runtime/pg/options_from_config.h"

namespace agora::inventory {

struct Config {
  std::string grpc_address;
  std::string metrics_address;
  int metrics_port = 0;
  runtime::pg::PgConfig pg;
  absl::Duration drain_timeout;
  std::string log_level;
};

// From AGORA_* variables and flags; INVALID_ARGUMENT listing every bad value,
// CANCELLED with the usage text for --help.
absl::StatusOr<Config> LoadConfig(int argc, const char* const* argv);

}  // namespace agora::inventory
