#pragma once

// Every metric of the inventory service, declared once (Envoy's stats.h).

#include "prometheus/counter.h"
#include "prometheus/family.h"

namespace agora::inventory {

struct Metrics {
  // agora_inventory_reservations_total{outcome}: reservation calls that
  // reached a decision (RESERVED, OUT_OF_STOCK, PRODUCT_UNAVAILABLE, RELEASED).
  prometheus::Family<prometheus::Counter>& reservations;
  // agora_inventory_units_reserved_total / _released_total: stock units moved.
  prometheus::Counter& units_reserved;
  prometheus::Counter& units_released;
  // agora_inventory_catalog_cache_total{result="hit"|"miss"}: product reads
  // through the catalog's cache (product_cache.h); a miss reads PostgreSQL.
  prometheus::Counter& cache_hits;
  prometheus::Counter& cache_misses;
};

// Registered in the process registry on first use.
Metrics& GetMetrics();

}  // namespace agora::inventory
