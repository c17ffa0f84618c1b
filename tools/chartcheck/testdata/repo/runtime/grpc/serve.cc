// Test fixture: a miniature of runtime/grpc/serve.cc.
#include "runtime/grpc/serve.h"

namespace agora::runtime::grpc_server {

void ReadServeConfig(config::Reader& r, int default_grpc_port, int default_metrics_port,
                     ServeConfig* out) {
  r.String("AGORA_GRPC_ADDRESS", absl::StrCat("0.0.0.0:", default_grpc_port), &out->grpc_address,
           "gRPC listen address (host:port; port 0 picks a free one)");
  r.Int("AGORA_METRICS_PORT", default_metrics_port, 0, 65535, &out->metrics_port,
        "Prometheus metrics port (0 picks a free one)");
  r.Duration("AGORA_DRAIN_TIMEOUT", absl::Seconds(10), absl::ZeroDuration(), absl::Minutes(5),
             &out->drain_timeout, "time in-flight calls get to finish on SIGTERM");
  r.Choice("AGORA_LOG_LEVEL", "info", {"debug", "info", "warn", "error"}, &out->log_level,
           "lowest level logged");
  // r.String("AGORA_COMMENTED_OUT", ...) is a comment, not a variable.
  /* "AGORA_IN_BLOCK_COMMENT" */
}

}  // namespace agora::runtime::grpc_server
