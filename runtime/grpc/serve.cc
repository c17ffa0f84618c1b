#include "runtime/grpc/serve.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "prometheus/exposer.h"
#include "runtime/grpc/server.h"
#include "runtime/log/log.h"
#include "runtime/metrics/metrics.h"

namespace agora::runtime::grpc_server {

void ReadServeConfig(config::Reader& r, int default_grpc_port, int default_metrics_port,
                     ServeConfig* out) {
  r.String("AGORA_GRPC_ADDRESS", absl::StrCat("0.0.0.0:", default_grpc_port), &out->grpc_address,
           "gRPC listen address (host:port; port 0 picks a free one)");
  r.String("AGORA_METRICS_ADDRESS", "0.0.0.0", &out->metrics_address,
           "Prometheus metrics bind address");
  r.Int("AGORA_METRICS_PORT", default_metrics_port, 0, 65535, &out->metrics_port,
        "Prometheus metrics port (0 picks a free one)");
  r.Duration("AGORA_DRAIN_TIMEOUT", absl::Seconds(10), absl::ZeroDuration(), absl::Minutes(5),
             &out->drain_timeout, "time in-flight calls get to finish on SIGTERM");
  r.Choice("AGORA_LOG_LEVEL", "info", {"debug", "info", "warn", "error"}, &out->log_level,
           "lowest level logged");
  r.Bool("AGORA_GRPC_REFLECTION", true, &out->reflection,
         "serve gRPC server reflection (what grpcurl lists); false hides the API's shape");
  r.Bool("AGORA_MIGRATE_ONLY", false, &out->migrate_only,
         "apply the database migrations, then exit 0 without serving (a migration job)");
}

int ExitCodeForConfigError(const std::string& name, const absl::Status& status) {
  const bool help = status.code() == absl::StatusCode::kCancelled;
  std::fprintf(help ? stdout : stderr, "%s: %s\n", name.c_str(),
               std::string(status.message()).c_str());
  return help ? 0 : 2;
}

void InitLogging(const std::string& name, const ServeConfig& config) {
  log::Level level = log::Level::kInfo;
  log::ParseLevel(config.log_level, &level);
  log::Init(name, level);
}

int StartFailed(const std::string& event, const absl::Status& status) {
  log::Error(event, {{"error", status.message()}});
  return 1;
}

int ServeUntilSignal(const std::string& name, const ServeConfig& config,
                     const std::vector<grpc::Service*>& services,
                     const std::function<void()>& on_drained) {
  auto exposer = metrics::StartExposer(config.metrics_address, config.metrics_port);
  if (!exposer.ok()) return StartFailed("metrics_failed", exposer.status());
  auto server = GrpcServer::Start(config.grpc_address, services, nullptr, config.reflection);
  if (!server.ok()) return StartFailed("grpc_failed", server.status());
  log::Info(name + "_ready",
            {{"grpc_port", (*server)->port()}, {"metrics_port", metrics::ExposerPort(**exposer)}});
  const int sig = WaitForTerminationSignal();
  log::Info("shutdown_requested", {{"signal", sig}});
  (*server)->Shutdown(config.drain_timeout);
  if (on_drained) on_drained();
  log::Info(name + "_stopped");
  return 0;
}

}  // namespace agora::runtime::grpc_server
