// The inventory service: composition root only.

#include <cstdio>

#include "inventory/config.h"
#include "inventory/pg_store.h"
#include "inventory/service.h"
#include "prometheus/exposer.h"
#include "runtime/grpc/executor.h"
#include "runtime/grpc/server.h"
#include "runtime/log/log.h"
#include "runtime/messaging/migrations.h"
#include "runtime/metrics/metrics.h"
#include "runtime/pg/startup.h"

namespace rt = agora::runtime;

int main(int argc, char** argv) {
  rt::grpc_server::BlockTerminationSignals();
  absl::StatusOr<agora::inventory::Config> config = agora::inventory::LoadConfig(argc, argv);
  if (!config.ok()) {
    const bool help = config.status().code() == absl::StatusCode::kCancelled;
    std::fprintf(help ? stdout : stderr, "inventory: %s\n", std::string(config.status().message()).c_str());
    return help ? 0 : 2;
  }
  rt::log::Level level = rt::log::Level::kInfo;
  rt::log::ParseLevel(config->log_level, &level);
  rt::log::Init("inventory", level);

  if (absl::Status s = rt::pg::MigrateAtStart(
          config->pg.connection,
          {{"messaging", &rt::messaging::MessagingMigrations()},
           {"inventory", &agora::inventory::InventoryMigrations()}},
          absl::Seconds(60));
      !s.ok()) {
    rt::log::Error("migrations_failed", {{"error", s.message()}});
    return 1;
  }

  rt::pg::Pool pool(config->pg.connection, config->pg.pool_size);
  rt::grpc_server::Executor executor(config->pg.pool_size, 4096);
  agora::inventory::PgStore store(pool);
  agora::inventory::InventoryService service(store, executor);

  auto exposer = rt::metrics::StartExposer(config->metrics_address, config->metrics_port);
  if (!exposer.ok()) {
    rt::log::Error("metrics_failed", {{"error", exposer.status().message()}});
    return 1;
  }
  auto server = rt::grpc_server::GrpcServer::Start(config->grpc_address, {&service});
  if (!server.ok()) {
    rt::log::Error("grpc_failed", {{"error", server.status().message()}});
    return 1;
  }
  rt::log::Info("inventory_ready", {{"grpc_port", (*server)->port()},
                                    {"metrics_port", rt::metrics::ExposerPort(**exposer)}});

  const int sig = rt::grpc_server::WaitForTerminationSignal();
  rt::log::Info("shutdown_requested", {{"signal", sig}});
  (*server)->Shutdown(config->drain_timeout);
  executor.Drain();
  rt::log::Info("inventory_stopped");
  return 0;
}
