// The reviews service: composition root only.

#include <optional>

#include "reviews/clients.h"
#include "reviews/config.h"
#include "reviews/pg_store.h"
#include "reviews/purchases.h"
#include "reviews/service.h"
#include "runtime/auth/authorizer.h"
#include "runtime/auth/revocation_client.h"
#include "runtime/grpc/client.h"
#include "runtime/grpc/executor.h"
#include "runtime/grpc/serve.h"
#include "runtime/grpc/server.h"
#include "runtime/kafka/producer.h"
#include "runtime/log/log.h"
#include "runtime/service/prepare.h"

namespace rt = agora::runtime;
namespace reviews = agora::reviews;

int main(int argc, char** argv) {
  rt::grpc_server::BlockTerminationSignals();
  absl::StatusOr<reviews::Config> config = reviews::LoadConfig(argc, argv);
  if (!config.ok()) return rt::grpc_server::ExitCodeForConfigError("reviews", config.status());
  rt::grpc_server::InitLogging("reviews", config->serve);

  std::unique_ptr<rt::auth::JwtVerifier> verifier;
  rt::auth::ServiceIdentity identity;
  if (const std::optional<int> code = rt::service::PrepareService(
          config->serve.migrate_only, config->jwt, config->pg.connection,
                                                   {"reviews", &reviews::ReviewsMigrations()}, &verifier, &identity)) {
    return *code;
  }
  // Signed-out sessions' access tokens are refused within a poll interval.
  rt::auth::RevokedSessions revoked;
  const std::unique_ptr<rt::auth::RevocationPoller> revocations = rt::auth::PollCustomersRevocations(
      revoked, rt::grpc_client::NewChannel(config->customers_address), config->jwt.revocation_poll_interval);
  const rt::auth::Authorizer authorizer(*verifier, identity.verifier.get(), &revoked);
  // One connection per executor worker, plus one per order-event consumer
  // thread (partitions are handled at once): requests never queue behind them.
  rt::pg::Pool pool(config->pg.connection, config->pg.pool_size + config->kafka.consumer_threads);
  rt::grpc_server::Executor executor(config->pg.pool_size, 4096);
  reviews::PgStore store(pool);
  // Display names come from customers' INTERNAL GetCustomer: reviews signs its calls.
  if (identity.tokens == nullptr) {
    return rt::grpc_server::StartFailed(
        "service_key_unavailable",
        absl::FailedPreconditionError("AGORA_SERVICE_KEY_FILE is required: reviews calls customers' "
                                      "INTERNAL GetCustomer and orders' FindPurchase"));
  }
  std::unique_ptr<reviews::Profiles> profiles = reviews::NewGrpcProfiles(
      rt::grpc_client::NewChannel(config->customers_address), config->customers_timeout, *identity.tokens);
  // Purchases whose event has not arrived yet come from orders' INTERNAL FindPurchase.
  std::unique_ptr<reviews::OrderLookup> orders = reviews::NewGrpcOrderLookup(
      rt::grpc_client::NewChannel(config->orders_address), config->orders_timeout, *identity.tokens);
  reviews::ReviewsService service(store, *profiles, *orders, authorizer, executor);

  absl::StatusOr<std::unique_ptr<rt::kafka::Producer>> dlq = rt::kafka::NewProducer(config->kafka);
  if (!dlq.ok()) {
    return rt::grpc_server::StartFailed("kafka_producer_failed", dlq.status());
  }
  // Last: stops first.
  absl::StatusOr<std::unique_ptr<rt::kafka::Consumer>> consumer = reviews::StartPurchaseConsumer(
      config->kafka, config->order_events_topic, config->consumer_group, store, dlq->get());
  if (!consumer.ok()) {
    return rt::grpc_server::StartFailed("kafka_consumer_failed", consumer.status());
  }
  return rt::grpc_server::ServeUntilSignal("reviews", config->serve, {&service}, [&] {
    (*consumer)->Stop();
    executor.Drain();
  });
}
