#include "inventory/metrics.h"

#include "prometheus/registry.h"
#include "runtime/metrics/metrics.h"

namespace agora::inventory {

Metrics& GetMetrics() {
  static Metrics* const m = [] {
    auto& registry = runtime::metrics::Registry();
    auto& units = prometheus::BuildCounter()
                      .Name("agora_inventory_units_reserved_total")
                      .Help("Stock units taken by reservations.")
                      .Register(registry);
    auto& released = prometheus::BuildCounter()
                         .Name("agora_inventory_units_released_total")
                         .Help("Stock units returned by released reservations.")
                         .Register(registry);
    auto& cache = prometheus::BuildCounter()
                      .Name("agora_inventory_catalog_cache_total")
                      .Help("Product reads through the catalog's cache, by result (hit, miss: read from PostgreSQL).")
                      .Register(registry);
    return new Metrics{prometheus::BuildCounter()
                           .Name("agora_inventory_reservations_total")
                           .Help("Reservation decisions, by outcome.")
                           .Register(registry),
                       units.Add({}), released.Add({}), cache.Add({{"result", "hit"}}),
                       cache.Add({{"result", "miss"}})};
  }();
  return *m;
}

}  // namespace agora::inventory
