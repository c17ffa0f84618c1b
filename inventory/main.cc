// The inventory service: composition root only.

#include "inventory/config.h"
#include "inventory/pg_store.h"
#include "inventory/service.h"
#include "runtime/auth/authorizer.h"
#include "runtime/grpc/executor.h"
#include "runtime/grpc/serve.h"
#include "runtime/grpc/server.h"
#include "runtime/log/log.h"
#include "runtime/service/prepare.h"

namespace rt = agora::runtime;

int main(int argc, char** argv) {
  rt::grpc_server::BlockTerminationSignals();
  absl::StatusOr<agora::inventory::Config> config = agora::inventory::LoadConfig(argc, argv);
  if (!config.ok()) return rt::grpc_server::ExitCodeForConfigError("inventory", config.status());
  rt::grpc_server::InitLogging("inventory", config->serve);
  std::unique_ptr<rt::auth::JwtVerifier> verifier;
  if (const int code = rt::service::PrepareService(
          config->jwt, config->pg.connection, {"inventory", &agora::inventory::InventoryMigrations()}, &verifier)) {
    return code;
  }
  rt::auth::Authorizer authorizer(*verifier);
  rt::pg::Pool pool(config->pg.connection, config->pg.pool_size);
  rt::grpc_server::Executor executor(config->pg.pool_size, 4096);
  agora::inventory::PgStore store(pool);
  agora::inventory::InventoryService service(store, executor, authorizer);
  return rt::grpc_server::ServeUntilSignal("inventory", config->serve, {&service},
                                           [&] { executor.Drain(); });
}
