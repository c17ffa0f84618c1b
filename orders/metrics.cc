#include "orders/metrics.h"

#include "prometheus/registry.h"
#include "runtime/metrics/metrics.h"

namespace agora::orders {

Metrics& GetMetrics() {
  static Metrics* const m = [] {
    auto& registry = runtime::metrics::Registry();
    auto& created = prometheus::BuildCounter()
                        .Name("agora_orders_created_total")
                        .Help("Orders recorded PENDING (idempotent repeats excluded).")
                        .Register(registry);
    auto& changes = prometheus::BuildCounter()
                        .Name("agora_orders_status_changes_total")
                        .Help("Order status changes, by new status.")
                        .Register(registry);
    auto& watchers = prometheus::BuildGauge()
                         .Name("agora_orders_watchers")
                         .Help("WatchOrder streams open now.")
                         .Register(registry);
    return new Metrics{created.Add({}), changes, watchers.Add({})};
  }();
  return *m;
}

}  // namespace agora::orders
