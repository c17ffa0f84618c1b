// The orders service: composition root only.

#include <atomic>
#include <optional>
#include <thread>

#include "orders/clients.h"
#include "orders/config.h"
#include "orders/participant.h"
#include "orders/pg_store.h"
#include "orders/service.h"
#include "orders/watch_hub.h"
#include "runtime/auth/authorizer.h"
#include "runtime/auth/revocation_client.h"
#include "runtime/grpc/client.h"
#include "runtime/grpc/executor.h"
#include "runtime/grpc/serve.h"
#include "runtime/grpc/server.h"
#include "runtime/kafka/producer.h"
#include "runtime/log/log.h"
#include "runtime/messaging/participant.h"
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
  rt::auth::ServiceIdentity identity;
  if (const std::optional<int> code = rt::service::PrepareService(
          config->serve.migrate_only, config->jwt, config->pg.connection,
                                                   {"orders", &orders::OrdersMigrations()}, &verifier, &identity)) {
    return *code;
  }
  // Signed-out sessions' access tokens are refused within a poll interval.
  rt::auth::RevokedSessions revoked;
  const std::unique_ptr<rt::auth::RevocationPoller> revocations = rt::auth::PollCustomersRevocations(
      revoked, rt::grpc_client::NewChannel(config->customers_address), config->jwt.revocation_poll_interval);
  const rt::auth::Authorizer authorizer(*verifier, identity.verifier.get(), &revoked);
  absl::StatusOr<std::unique_ptr<rt::kafka::Producer>> producer =
      rt::kafka::NewProducer(config->kafka, {config->messaging.topics.OrderEvents(),
                                             config->messaging.topics.Replies()});
  if (!producer.ok()) {
    return rt::grpc_server::StartFailed("kafka_producer_failed", producer.status());
  }

  // One connection per executor worker, plus the relay's (which may hold it
  // while a batch waits for the broker), the inbox pruner's and one per
  // command-consumer thread: requests never queue behind them.
  rt::pg::Pool pool(config->pg.connection, config->pg.pool_size + 2 + config->kafka.consumer_threads);
  rt::grpc_server::Executor executor(config->pg.pool_size, 4096);
  orders::PgStore store(pool, config->messaging.topics.OrderEvents());
  // Prices and carts come from INTERNAL methods: orders signs its calls.
  if (identity.tokens == nullptr) {
    return rt::grpc_server::StartFailed(
        "service_key_unavailable",
        absl::FailedPreconditionError("AGORA_SERVICE_KEY_FILE is required: orders calls inventory's and "
                                      "customers' INTERNAL methods"));
  }
  std::unique_ptr<orders::Catalog> catalog = orders::NewGrpcCatalog(
      rt::grpc_client::NewChannel(config->inventory_address), config->backend_timeout, *identity.tokens);
  std::unique_ptr<orders::Carts> carts = orders::NewGrpcCarts(
      rt::grpc_client::NewChannel(config->customers_address), config->backend_timeout, *identity.tokens);
  rt::messaging::OutboxRelay relay(pool, **producer, config->messaging.relay);
  orders::WatchHub hub(config->pg.connection);
  orders::OrdersService service(store, *catalog, *carts, hub, executor, authorizer);

  rt::messaging::CommandHandler commands(pool, config->messaging.topics.Replies());
  orders::RegisterSagaCommands(commands, store);
  absl::StatusOr<std::unique_ptr<rt::messaging::Participant>> participant =
      rt::messaging::Participant::Start("orders", pool, config->kafka, config->messaging, commands,
                                        producer->get());
  if (!participant.ok()) return rt::grpc_server::StartFailed("kafka_consumer_failed", participant.status());

  // A lost OrderCreated cannot leave an order PENDING forever.
  std::atomic<bool> stop{false};
  std::thread reemitter([&] {
    rt::log::NameThisThread("reemitter");
    while (!stop.load() && config->reemit_after > absl::ZeroDuration()) {
      absl::StatusOr<int> n = store.ReemitStalled(config->reemit_after, 100);
      if (!n.ok()) rt::log::Warn("orders_reemit_failed", {{"error", n.status().message()}});
      if (n.ok() && *n > 0) rt::log::Info("orders_events_reemitted", {{"orders", *n}});
      // Checked a few times per period; stops within 100 ms.
      const absl::Time next = absl::Now() + config->reemit_after / 4;
      while (!stop.load() && absl::Now() < next) absl::SleepFor(absl::Milliseconds(100));
    }
  });
  relay.Start();
  hub.Start();
  const int code = rt::grpc_server::ServeUntilSignal("orders", config->serve, {&service}, [&] {
    stop.store(true);
    if (reemitter.joinable()) reemitter.join();
    (*participant)->Stop();  // the batch in hand commits; its replies are in the outbox
    relay.Stop();            // publishes what is due, then stops
    hub.Stop();
    executor.Drain();
  });
  stop.store(true);
  if (reemitter.joinable()) reemitter.join();
  return code;
}
