#include "customers/metrics.h"

#include "prometheus/registry.h"
#include "runtime/metrics/metrics.h"

namespace agora::customers {
namespace {

prometheus::Family<prometheus::Counter>& Counter(const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(runtime::metrics::Registry());
}

}  // namespace

Metrics& GetMetrics() {
  static Metrics* const m = new Metrics{
      Counter("agora_customers_registrations_total", "Accounts created.").Add({}),
      Counter("agora_customers_logins_total", "Login attempts, by result."),
      Counter("agora_customers_token_refreshes_total", "Refresh attempts, by result."),
      Counter("agora_customers_debits_total", "Order debits decided, by outcome."),
      Counter("agora_customers_topped_up_cents_total", "Money added by top-ups, in cents.").Add({}),
      Counter("agora_customers_refunded_cents_total", "Money refunded to balances, in cents.").Add({}),
  };
  return *m;
}

}  // namespace agora::customers
