// The saga coordinator: composition root only.

#include <atomic>
#include <optional>
#include <thread>

#include "runtime/auth/authorizer.h"
#include "runtime/auth/revocation_client.h"
#include "runtime/grpc/client.h"
#include "runtime/grpc/executor.h"
#include "runtime/grpc/serve.h"
#include "runtime/grpc/server.h"
#include "runtime/ids/uuid.h"
#include "runtime/kafka/consumer.h"
#include "runtime/kafka/producer.h"
#include "runtime/log/log.h"
#include "runtime/messaging/inbox_pruner.h"
#include "runtime/messaging/relay.h"
#include "runtime/service/prepare.h"
#include "saga/config.h"
#include "saga/coordinator.h"
#include "saga/pg_store.h"
#include "saga/service.h"

namespace rt = agora::runtime;
namespace saga = agora::saga;

int main(int argc, char** argv) {
  rt::grpc_server::BlockTerminationSignals();
  absl::StatusOr<saga::Config> config = saga::LoadConfig(argc, argv);
  if (!config.ok()) return rt::grpc_server::ExitCodeForConfigError("saga", config.status());
  rt::grpc_server::InitLogging("saga", config->serve);
  std::unique_ptr<rt::auth::JwtVerifier> verifier;
  rt::auth::ServiceIdentity identity;
  if (const std::optional<int> code = rt::service::PrepareService(
          config->serve.migrate_only, config->jwt, config->pg.connection,
                                                   {"saga", &saga::SagaMigrations()}, &verifier, &identity)) {
    return *code;
  }
  // Signed-out sessions' access tokens are refused within a poll interval.
  rt::auth::RevokedSessions revoked;
  const std::unique_ptr<rt::auth::RevocationPoller> revocations = rt::auth::PollCustomersRevocations(
      revoked, rt::grpc_client::NewChannel(config->customers_address), config->jwt.revocation_poll_interval);
  const rt::auth::Authorizer authorizer(*verifier, identity.verifier.get(), &revoked);
  absl::StatusOr<std::unique_ptr<rt::kafka::Producer>> producer = rt::kafka::NewProducer(
      config->kafka, {config->messaging.topics.Commands("inventory"), config->messaging.topics.Commands("customers"),
                      config->messaging.topics.Commands("orders")});
  if (!producer.ok()) return rt::grpc_server::StartFailed("kafka_producer_failed", producer.status());

  // One connection per executor worker, plus the relay's, the scanner's, the
  // inbox pruner's and one per consumer thread.
  rt::pg::Pool pool(config->pg.connection, config->pg.pool_size + 3 + config->kafka.consumer_threads);
  rt::grpc_server::Executor executor(config->pg.pool_size, 4096);
  saga::PgStore store;
  saga::CoordinatorOptions options;
  options.topics = config->messaging.topics;
  options.place_order = saga::PlaceOrder(config->step_deadline, config->retry);
  options.cancel_order = saga::CancelOrder(config->step_deadline, config->retry);
  saga::Coordinator coordinator(pool, store, options, [] { return absl::Now(); }, [] { return rt::ids::NewUuid(); });
  // Orders' INTERNAL LocateOrder, for a timeline asked for before its saga
  // started: saga signs its calls (without a service key it does without).
  std::unique_ptr<saga::OrderDirectory> orders;
  if (identity.tokens != nullptr) {
    orders = saga::NewGrpcOrderDirectory(rt::grpc_client::NewChannel(config->orders_address),
                                         config->orders_timeout, *identity.tokens);
  } else {
    rt::log::Warn("orders_lookup_disabled", {{"reason", "no AGORA_SERVICE_KEY_FILE: a timeline asked for before its "
                                                        "saga started answers NOT_FOUND after the wait"}});
  }
  saga::SagasService service(pool, store, coordinator, executor, authorizer, orders.get());
  rt::messaging::OutboxRelay relay(pool, **producer, config->messaging.relay);
  rt::messaging::InboxPruner pruner(pool, config->messaging.inbox);

  rt::kafka::ConsumerOptions consumer_options;
  consumer_options.kafka = config->kafka;
  consumer_options.group_id = config->group;
  consumer_options.topics = {options.topics.OrderEvents(), options.topics.Replies()};
  absl::StatusOr<std::unique_ptr<rt::kafka::Consumer>> consumer = rt::kafka::StartBatchConsumer(
      consumer_options,
      [&coordinator](const std::vector<rt::kafka::IncomingMessage>& batch) { return coordinator.Handle(batch); },
      producer->get());
  if (!consumer.ok()) return rt::grpc_server::StartFailed("kafka_consumer_failed", consumer.status());

  // Late steps: re-sent, timed out, compensated (several coordinators share
  // the scan: SKIP LOCKED).
  std::atomic<bool> stop{false};
  std::thread scanner([&] {
    rt::log::NameThisThread("saga-scanner");
    absl::Time gauges_at = absl::InfinitePast();
    while (!stop.load()) {
      if (absl::Now() - gauges_at >= absl::Seconds(1)) {
        gauges_at = absl::Now();
        (void)coordinator.UpdateGauges();  // a database fault shows in the scan below
      }
      absl::StatusOr<int> n = coordinator.ScanDeadlines(128);
      if (!n.ok()) rt::log::Warn("saga_scan_failed", {{"error", n.status().message()}});
      if (n.ok() && *n == 128) continue;  // more are due
      absl::SleepFor(config->scan_interval);
    }
  });
  relay.Start();
  pruner.Start();
  const int code = rt::grpc_server::ServeUntilSignal("saga", config->serve, {&service}, [&] {
    (*consumer)->Stop();  // the batch in hand commits; its commands are in the outbox
    stop.store(true);
    scanner.join();
    relay.Stop();  // publishes what is due, then stops
    pruner.Stop();
    executor.Drain();
  });
  if (scanner.joinable()) {
    stop.store(true);
    scanner.join();
  }
  return code;
}
