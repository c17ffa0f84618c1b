#include "reviews/config.h"

#include "reviews/purchases.h"
#include "runtime/kafka/options_from_config.h"
#include "runtime/messaging/topics.h"

namespace agora::reviews {

absl::StatusOr<Config> LoadConfig(int argc, const char* const* argv) {
  runtime::config::Reader r(argc, argv);
  Config c;
  runtime::grpc_server::ReadServeConfig(r, /*default_grpc_port=*/50064,
                                        /*default_metrics_port=*/9164, &c.serve);
  runtime::pg::ReadPgConfig(r, "reviews", &c.pg);
  runtime::kafka::ReadKafkaOptions(r, "reviews", &c.kafka);
  runtime::messaging::Topics topics;
  runtime::messaging::ReadTopics(r, &topics);
  c.order_events_topic = topics.OrderEvents();
  r.RequiredString("AGORA_CONSUMER_GROUP", topics.Group(kConsumerGroup), &c.consumer_group,
                   "the consumer group of the reviews instances (default: the topic prefix and 'reviews')");
  r.String("AGORA_CUSTOMERS_ADDRESS", "127.0.0.1:50062", &c.customers_address,
           "the customers service (author names), host:port or dns:///name:port");
  r.Duration("AGORA_CUSTOMERS_TIMEOUT", absl::Seconds(2), absl::Milliseconds(10), absl::Seconds(60),
             &c.customers_timeout, "deadline of a call to customers");
  r.String("AGORA_ORDERS_ADDRESS", "127.0.0.1:50063", &c.orders_address,
           "the orders service (verified purchases, asked on every review), host:port or dns:///name:port");
  r.Duration("AGORA_ORDERS_TIMEOUT", absl::Seconds(2), absl::Milliseconds(10), absl::Seconds(60), &c.orders_timeout,
             "deadline of a call to orders");
  runtime::auth::ReadVerifierConfig(r, &c.jwt);
  if (absl::Status s = r.Finish(); !s.ok()) return s;
  return c;
}

}  // namespace agora::reviews
