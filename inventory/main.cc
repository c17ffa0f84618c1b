// The inventory service: composition root only.

#include <memory>
#include <optional>

#include "inventory/config.h"
#include "inventory/participant.h"
#include "inventory/pg_store.h"
#include "inventory/service.h"
#include "runtime/auth/authorizer.h"
#include "runtime/auth/revocation_client.h"
#include "runtime/grpc/client.h"
#include "runtime/grpc/executor.h"
#include "runtime/grpc/serve.h"
#include "runtime/grpc/server.h"
#include "runtime/kafka/producer.h"
#include "runtime/log/log.h"
#include "runtime/messaging/participant.h"
#include "runtime/service/prepare.h"

namespace rt = agora::runtime;

int main(int argc, char** argv) {
  rt::grpc_server::BlockTerminationSignals();
  absl::StatusOr<agora::inventory::Config> config = agora::inventory::LoadConfig(argc, argv);
  if (!config.ok()) return rt::grpc_server::ExitCodeForConfigError("inventory", config.status());
  rt::grpc_server::InitLogging("inventory", config->serve);
  std::unique_ptr<rt::auth::JwtVerifier> verifier;
  rt::auth::ServiceIdentity identity;
  if (const std::optional<int> code = rt::service::PrepareService(
          config->serve.migrate_only, config->jwt, config->pg.connection, {"inventory", &agora::inventory::InventoryMigrations()}, &verifier, &identity)) {
    return *code;
  }
  // Signed-out sessions' access tokens are refused within a poll interval.
  rt::auth::RevokedSessions revoked;
  const std::unique_ptr<rt::auth::RevocationPoller> revocations = rt::auth::PollCustomersRevocations(
      revoked, rt::grpc_client::NewChannel(config->customers_address), config->jwt.revocation_poll_interval);
  rt::auth::Authorizer authorizer(*verifier, identity.verifier.get(), &revoked);
  absl::StatusOr<std::unique_ptr<rt::kafka::Producer>> producer = rt::kafka::NewProducer(config->kafka, {config->messaging.topics.Replies()});
  if (!producer.ok()) return rt::grpc_server::StartFailed("kafka_producer_failed", producer.status());
  // One connection per executor worker, plus the relay's, the inbox
  // pruner's and one per command-consumer thread: requests never queue
  // behind them.
  rt::pg::Pool pool(config->pg.connection, config->pg.pool_size + 2 + config->kafka.consumer_threads);
  rt::grpc_server::Executor executor(config->pg.pool_size, 4096);
  // The catalog's read cache, kept exact by this process's writes and by
  // the other replicas' notifications (inventory/product_cache.h).
  std::unique_ptr<agora::inventory::ProductCache> cache;
  std::unique_ptr<agora::inventory::ProductCacheListener> cache_listener;
  if (config->catalog_cache_size > 0) {
    cache = std::make_unique<agora::inventory::ProductCache>(static_cast<size_t>(config->catalog_cache_size));
    cache_listener = std::make_unique<agora::inventory::ProductCacheListener>(*cache, config->pg.connection);
  }
  agora::inventory::PgStore store(pool, cache.get());
  agora::inventory::InventoryService service(store, executor, authorizer);
  rt::messaging::OutboxRelay relay(pool, **producer, config->messaging.relay);
  rt::messaging::CommandHandler commands(pool, config->messaging.topics.Replies());
  agora::inventory::RegisterSagaCommands(commands, store);
  absl::StatusOr<std::unique_ptr<rt::messaging::Participant>> participant =
      rt::messaging::Participant::Start("inventory", pool, config->kafka, config->messaging, commands,
                                        producer->get());
  if (!participant.ok()) return rt::grpc_server::StartFailed("kafka_consumer_failed", participant.status());
  relay.Start();
  return rt::grpc_server::ServeUntilSignal("inventory", config->serve, {&service}, [&] {
    (*participant)->Stop();  // the batch in hand commits; its replies are in the outbox
    relay.Stop();            // publishes what is due, then stops
    executor.Drain();
  });
}
