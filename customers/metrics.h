#pragma once

// Every metric of the customers service, declared once.

#include "prometheus/counter.h"
#include "prometheus/family.h"

namespace agora::customers {

struct Metrics {
  prometheus::Counter& registrations;                   // agora_customers_registrations_total
  prometheus::Family<prometheus::Counter>& logins;      // agora_customers_logins_total{result}
  prometheus::Family<prometheus::Counter>& refreshes;   // agora_customers_token_refreshes_total{result}
  prometheus::Family<prometheus::Counter>& debits;      // agora_customers_debits_total{outcome}
  prometheus::Counter& topped_up_cents;                 // agora_customers_topped_up_cents_total
  prometheus::Counter& refunded_cents;                  // agora_customers_refunded_cents_total
};

Metrics& GetMetrics();

}  // namespace agora::customers
