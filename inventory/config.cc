#include "inventory/config.h"

#include "runtime/config/config.h"

namespace agora::inventory {

absl::StatusOr<Config> LoadConfig(int argc, const char* const* argv) {
  runtime::config::Reader r(argc, argv);
  Config c;
  r.String("AGORA_GRPC_ADDRESS", "0.0.0.0:50061", &c.grpc_address, "gRPC listen address");
  r.String("AGORA_METRICS_ADDRESS", "0.0.0.0", &c.metrics_address, "Prometheus metrics bind address");
  r.Int("AGORA_METRICS_PORT", 9161, 0, 65535, &c.metrics_port, "Prometheus metrics port");
  runtime::pg::ReadPgConfig(r, "inventory", &c.pg);
  r.Duration("AGORA_DRAIN_TIMEOUT", absl::Seconds(10), absl::ZeroDuration(), absl::Minutes(5),
             &c.drain_timeout, "time in-flight calls get to finish on SIGTERM");
  r.Choice("AGORA_LOG_LEVEL", "info", {"debug", "info", "warn", "error"}, &c.log_level,
           "lowest level logged");
  if (absl::Status s = r.Finish(); !s.ok()) return s;
  return c;
}

}  // namespace agora::inventory
