#include "inventory/config.h"

#include "runtime/kafka/options_from_config.h"

namespace agora::inventory {

absl::StatusOr<Config> LoadConfig(int argc, const char* const* argv) {
  runtime::config::Reader r(argc, argv);
  Config c;
  runtime::grpc_server::ReadServeConfig(r, /*default_grpc_port=*/50061,
                                        /*default_metrics_port=*/9161, &c.serve);
  runtime::pg::ReadPgConfig(r, "inventory", &c.pg);
  runtime::auth::ReadVerifierConfig(r, &c.jwt);
  r.String("AGORA_CUSTOMERS_ADDRESS", "127.0.0.1:50062", &c.customers_address,
           "customers' gRPC address (the signed-out sessions, whose access tokens are refused)");
  r.Int("AGORA_CATALOG_CACHE_SIZE", 100000, 0, 10000000, &c.catalog_cache_size,
        "products the catalog's read cache holds (0: no cache; inventory/product_cache.h)");
  runtime::kafka::ReadKafkaOptions(r, "inventory", &c.kafka);
  runtime::messaging::ReadMessagingConfig(r, "inventory", &c.messaging);
  if (absl::Status s = r.Finish(); !s.ok()) return s;
  return c;
}

}  // namespace agora::inventory
