#pragma once

// What every service's main does around its own parts: the common settings
// (listen addresses, drain time, log level), logging set-up, and serving
// until SIGTERM/SIGINT with a graceful drain.
//
//   int main(int argc, char** argv) {
//     BlockTerminationSignals();
//     absl::StatusOr<Config> config = LoadConfig(argc, argv);
//     if (!config.ok()) return ExitCodeForConfigError("inventory", config.status());
//     InitLogging("inventory", config->serve);
//     ... migrations, pool, store, service ...
//     return ServeUntilSignal("inventory", config->serve, {&service});
//   }

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "runtime/config/config.h"

namespace grpc {
class Service;
}  // namespace grpc

namespace agora::runtime::grpc_server {

struct ServeConfig {
  std::string grpc_address;
  std::string metrics_address;
  int metrics_port = 0;
  absl::Duration drain_timeout;
  std::string log_level;
  // AGORA_MIGRATE_ONLY: apply the service's migrations and exit 0 without
  // serving (a deployment's migration Job).
  bool migrate_only = false;
  // AGORA_GRPC_REFLECTION: serve gRPC server reflection (grpcurl, grpcui).
  bool reflection = true;
};

// AGORA_GRPC_ADDRESS, AGORA_METRICS_ADDRESS, AGORA_METRICS_PORT,
// AGORA_DRAIN_TIMEOUT, AGORA_LOG_LEVEL, AGORA_MIGRATE_ONLY, AGORA_GRPC_REFLECTION, with the service's default ports.
void ReadServeConfig(config::Reader& reader, int default_grpc_port, int default_metrics_port,
                     ServeConfig* out);

// Prints a configuration error (or the --help text) and returns the exit code: 0 for --help, 2 otherwise.
int ExitCodeForConfigError(const std::string& name, const absl::Status& status);

void InitLogging(const std::string& name, const ServeConfig& config);

// Logs a start-up failure as `event` with the status's message and returns
// the exit code (1): `if (!s.ok()) return StartFailed("migrations_failed", s);`
int StartFailed(const std::string& event, const absl::Status& status);

// Starts the metrics exposer and the gRPC server, logs "<name>_ready" with
// both ports, waits for SIGTERM/SIGINT, drains (health NOT_SERVING, in-flight
// calls finish within drain_timeout), runs `on_drained` (stop executors,
// relays, consumers), logs "<name>_stopped". Returns the exit code.
int ServeUntilSignal(const std::string& name, const ServeConfig& config,
                     const std::vector<grpc::Service*>& services,
                     const std::function<void()>& on_drained = {});

}  // namespace agora::runtime::grpc_server
