// The inventory service: composition root only.

#include "inventory/config.h"
#include "inventory/pg_store.h"
#include "inventory/service.h"
#include "runtime/grpc/executor.h"
#include "runtime/grpc/serve.h"
#include "runtime/grpc/server.h"
#include "runtime/idempotency/request_keys.h"
#include "runtime/log/log.h"
#include "runtime/messaging/migrations.h"
#include "runtime/pg/startup.h"

namespace rt = agora::runtime;

int main(int argc, char** argv) {
  rt::grpc_server::BlockTerminationSignals();
  absl::StatusOr<agora::inventory::Config> config = agora::inventory::LoadConfig(argc, argv);
  if (!config.ok()) return rt::grpc_server::ExitCodeForConfigError("inventory", config.status());
  rt::grpc_server::InitLogging("inventory", config->serve);
  auto verifier = rt::auth::LoadVerifier(config->jwt);
  if (!verifier.ok()) {
    return rt::grpc_server::StartFailed("jwt_keys_unavailable", verifier.status());
  }
  rt::auth::Authorizer authorizer(**verifier);

  if (absl::Status s =
          rt::pg::MigrateAtStart(config->pg.connection,
                                 {{"messaging", &rt::messaging::MessagingMigrations()},
                                  {"request_keys", &rt::idempotency::RequestKeyMigrations()},
                                  {"inventory", &agora::inventory::InventoryMigrations()}},
                                 absl::Seconds(60));
      !s.ok()) {
    return rt::grpc_server::StartFailed("migrations_failed", s);
  }
  rt::pg::Pool pool(config->pg.connection, config->pg.pool_size);
  rt::grpc_server::Executor executor(config->pg.pool_size, 4096);
  agora::inventory::PgStore store(pool);
  agora::inventory::InventoryService service(store, executor, authorizer);
  return rt::grpc_server::ServeUntilSignal("inventory", config->serve, {&service},
                                           [&] { executor.Drain(); });
}
