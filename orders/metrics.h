#pragma once

// Every metric of the orders service, declared once (Envoy's stats.h).

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"

namespace agora::orders {

struct Metrics {
  // agora_orders_created_total: orders recorded (idempotent repeats excluded).
  prometheus::Counter& created;
  // agora_orders_status_changes_total{to}: status changes, by new status
  // (APPROVED, REJECTED, CANCELLING, CANCELLED, SHIPPED).
  prometheus::Family<prometheus::Counter>& status_changes;
  // agora_orders_watchers: WatchOrder streams open now.
  prometheus::Gauge& watchers;
};

// Registered in the process registry on first use.
Metrics& GetMetrics();

}  // namespace agora::orders
