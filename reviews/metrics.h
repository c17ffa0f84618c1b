#pragma once

// Every metric of the reviews service, declared once (Envoy's stats.h).

#include <string>

#include "prometheus/counter.h"
#include "prometheus/family.h"

namespace agora::reviews {

struct Metrics {
  // agora_reviews_created_total: reviews created.
  prometheus::Counter& created;
  // agora_reviews_events_handled_total{type}: order events handled (applied,
  // duplicate or ignored), by envelope type; types reviews does not read
  // count as "other".
  prometheus::Family<prometheus::Counter>& events_handled;
  // agora_reviews_purchases_looked_up_total: purchases learnt from orders'
  // FindPurchase because their event had not arrived yet.
  prometheus::Counter& purchases_looked_up;
};

// Registered in the process registry on first use.
Metrics& GetMetrics();

// Counts one handled order event of envelope type `type`.
void CountEventHandled(const std::string& type);

}  // namespace agora::reviews
