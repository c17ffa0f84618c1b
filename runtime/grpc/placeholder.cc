#include "runtime/grpc/placeholder.h"

#include "runtime/grpc/serve.h"
#include "runtime/grpc/server.h"
#include "runtime/log/log.h"
#include "runtime/messaging/migrations.h"
#include "runtime/pg/options_from_config.h"
#include "runtime/pg/startup.h"

namespace agora::runtime::grpc_server {

int RunPlaceholderService(int argc, char** argv, const std::string& name, int default_grpc_port,
                          int default_metrics_port, grpc::Service* service) {
  BlockTerminationSignals();
  config::Reader r(argc, argv);
  ServeConfig serve;
  pg::PgConfig pg;
  ReadServeConfig(r, default_grpc_port, default_metrics_port, &serve);
  pg::ReadPgConfig(r, name, &pg);
  if (absl::Status s = r.Finish(); !s.ok()) return ExitCodeForConfigError(name, s);
  InitLogging(name, serve);
  if (absl::Status s = pg::MigrateAtStart(
          pg.connection, {{"messaging", &messaging::MessagingMigrations()}}, absl::Seconds(60));
      !s.ok()) {
    return StartFailed("migrations_failed", s);
  }
  log::Warn("service_not_implemented_yet", {{"service", name}});
  return ServeUntilSignal(name, serve, {service});
}

}  // namespace agora::runtime::grpc_server
