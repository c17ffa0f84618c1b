#include "reviews/metrics.h"

#include "agora/saga/v1/messages.pb.h"
#include "prometheus/registry.h"
#include "runtime/metrics/metrics.h"

namespace agora::reviews {

Metrics& GetMetrics() {
  static Metrics* const m = [] {
    auto& registry = runtime::metrics::Registry();
    auto& created = prometheus::BuildCounter()
                        .Name("agora_reviews_created_total")
                        .Help("Reviews created.")
                        .Register(registry);
    return new Metrics{created.Add({}),
                       prometheus::BuildCounter()
                           .Name("agora_reviews_events_handled_total")
                           .Help("Order events handled (applied, duplicate or ignored), by type.")
                           .Register(registry),
                       prometheus::BuildCounter()
                           .Name("agora_reviews_purchases_looked_up_total")
                           .Help("Purchases learnt from orders because their event had not arrived yet.")
                           .Register(registry)
                           .Add({})};
  }();
  return *m;
}

void CountEventHandled(const std::string& type) {
  // Label values stay bounded: a type reviews does not read is "other".
  const bool known = type == agora::saga::v1::OrderCreated::descriptor()->full_name() ||
                     type == agora::saga::v1::OrderStatusChanged::descriptor()->full_name();
  GetMetrics().events_handled.Add({{"type", known ? type : "other"}}).Increment();
}

}  // namespace agora::reviews
