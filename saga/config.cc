#include "saga/config.h"

#include "runtime/kafka/options_from_config.h"

namespace agora::saga {

absl::StatusOr<Config> LoadConfig(int argc, const char* const* argv) {
  runtime::config::Reader r(argc, argv);
  Config c;
  runtime::grpc_server::ReadServeConfig(r, /*default_grpc_port=*/50065, /*default_metrics_port=*/9165, &c.serve);
  runtime::pg::ReadPgConfig(r, "saga", &c.pg);
  runtime::kafka::ReadKafkaOptions(r, "saga", &c.kafka);
  runtime::messaging::ReadMessagingConfig(r, "saga", &c.messaging);
  runtime::auth::ReadVerifierConfig(r, &c.jwt);
  r.String("AGORA_CUSTOMERS_ADDRESS", "127.0.0.1:50062", &c.customers_address,
           "customers' gRPC address (the signed-out sessions, whose access tokens are refused)");
  r.String("AGORA_ORDERS_ADDRESS", "127.0.0.1:50063", &c.orders_address,
           "the orders service (an order whose saga has not started yet), host:port or dns:///name:port");
  r.Duration("AGORA_ORDERS_TIMEOUT", absl::Seconds(2), absl::Milliseconds(10), absl::Seconds(60), &c.orders_timeout,
             "deadline of a call to orders");
  r.String("AGORA_SAGA_GROUP", c.messaging.topics.Group("saga"), &c.group,
           "consumer group of the coordinators (order events and replies; default: the topic prefix and 'saga')");
  r.Duration("AGORA_SAGA_STEP_DEADLINE", absl::Seconds(5), absl::Milliseconds(100), absl::Hours(1),
             &c.step_deadline, "how long a step's reply may take before its command is sent again");
  r.Int("AGORA_SAGA_MAX_ATTEMPTS", 5, 1, 1000, &c.retry.max_attempts,
        "sends of a step before the saga gives up on it (before ApproveOrder; never after)");
  r.Duration("AGORA_SAGA_MAX_WAIT", absl::Seconds(30), absl::Milliseconds(100), absl::Hours(1), &c.retry.max_wait,
             "the longest wait between re-sends of a late command (doubling from the step deadline)");
  r.Duration("AGORA_SAGA_SCAN_INTERVAL", absl::Milliseconds(200), absl::Milliseconds(10), absl::Minutes(1),
             &c.scan_interval, "how often the coordinator looks for late steps");
  if (absl::Status s = r.Finish(); !s.ok()) return s;
  return c;
}

}  // namespace agora::saga
