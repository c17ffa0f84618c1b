// The orders service: composition root only.

#include "orders/clients.h"
#include "orders/config.h"
#include "orders/pg_store.h"
#include "orders/service.h"
#include "orders/watch_hub.h"
#include "runtime/auth/authorizer.h"
#include "runtime/grpc/client.h"
#include "runtime/grpc/executor.h"
#include "runtime/grpc/serve.h"
#include "runtime/grpc/server.h"
#include "runtime/kafka/producer.h"
#include "runtime/log/log.h"
#include "runtime/messaging/relay.h"
#include "runtime/service/prepare.h"

namespace rt = agora::runtime;
namespace orders = agora::orders;

int main(int argc, char** argv) {
  rt::grpc_server::BlockTerminationSignals();
  absl::StatusOr<orders::Config> config = orders::LoadConfig(argc, argv);
  if (!config.ok()) return rt::grpc_server::ExitCodeForConfigError("orders", config.status());
  rt::grpc_server::InitLogging("orders", config->serve);
  std::unique_ptr<rt::auth::JwtVerifier> verifier;
  if (const int code = rt::service::PrepareService(config->jwt, config->pg.connection,
                                                   {"orders", &orders::OrdersMigrations()}, &verifier)) {
    return code;
  }
  const rt::auth::Authorizer authorizer(*verifier);
  absl::StatusOr<std::unique_ptr<rt::kafka::Producer>> producer =
      rt::kafka::NewProducer(config->kafka);
  if (!producer.ok()) {
    return rt::grpc_server::StartFailed("kafka_producer_failed", producer.status());
  }

  // One connection per executor worker, plus one for the outbox relay, which may hold
  // it for a while (a batch waiting for the broker): requests never queue
  // behind it.
  rt::pg::Pool pool(config->pg.connection, config->pg.pool_size + 1);
  rt::grpc_server::Executor executor(config->pg.pool_size, 4096);
  orders::PgStore store(pool);
  std::unique_ptr<orders::Catalog> catalog = orders::NewGrpcCatalog(
      rt::grpc_client::NewChannel(config->inventory_address), config->backend_timeout);
  std::unique_ptr<orders::Carts> carts = orders::NewGrpcCarts(
      rt::grpc_client::NewChannel(config->customers_address), config->backend_timeout);
  rt::messaging::OutboxRelay relay(pool, **producer, rt::messaging::RelayOptions{});
  orders::WatchHub hub(config->pg.connection);
  orders::OrdersService service(store, *catalog, *carts, hub, executor, authorizer);

  relay.Start();
  hub.Start();
  return rt::grpc_server::ServeUntilSignal("orders", config->serve, {&service}, [&] {
    relay.Stop();
    hub.Stop();
    executor.Drain();
  });
}
