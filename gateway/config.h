#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "gateway/api_handler.h"
#include "gateway/http_server.h"
#include "runtime/auth/verifier_config.h"

namespace agora::gateway {

struct Config {
  HttpServerOptions http;
  ApiOptions api;
  runtime::auth::VerifierConfig jwt;
  // How often the JWKS of customers is fetched again (without a key file).
  absl::Duration jwks_refresh_interval;
  std::map<std::string, std::string> backends;  // service full name -> address
  absl::Duration drain_timeout;
  std::string log_level;
};

absl::StatusOr<Config> LoadConfig(int argc, const char* const* argv);

}  // namespace agora::gateway
