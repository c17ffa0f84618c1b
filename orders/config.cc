#include "orders/config.h"

#include "runtime/kafka/options_from_config.h"

namespace agora::orders {

absl::StatusOr<Config> LoadConfig(int argc, const char* const* argv) {
  runtime::config::Reader r(argc, argv);
  Config c;
  runtime::grpc_server::ReadServeConfig(r, /*default_grpc_port=*/50063,
                                        /*default_metrics_port=*/9163, &c.serve);
  runtime::pg::ReadPgConfig(r, "orders", &c.pg);
  runtime::kafka::ReadKafkaOptions(r, "orders", &c.kafka);
  runtime::messaging::ReadMessagingConfig(r, "orders", &c.messaging);
  r.Duration("AGORA_ORDERS_REEMIT_AFTER", absl::Seconds(30), absl::ZeroDuration(), absl::Hours(24), &c.reemit_after,
             "publish a PENDING order's events again after this long without a change (0: never)");
  r.String("AGORA_INVENTORY_ADDRESS", "127.0.0.1:50061", &c.inventory_address,
           "inventory gRPC address (host:port or dns:///name:port)");
  r.String("AGORA_CUSTOMERS_ADDRESS", "127.0.0.1:50062", &c.customers_address,
           "customers gRPC address (host:port or dns:///name:port)");
  r.Duration("AGORA_BACKEND_TIMEOUT", absl::Seconds(3), absl::Milliseconds(10), absl::Minutes(1),
             &c.backend_timeout, "deadline of each call to inventory and customers");
  runtime::auth::ReadVerifierConfig(r, &c.jwt);
  if (absl::Status s = r.Finish(); !s.ok()) return s;
  return c;
}

}  // namespace agora::orders
