#include "runtime/messaging/metrics.h"

#include "prometheus/registry.h"
#include "runtime/metrics/metrics.h"

namespace agora::runtime::messaging {

Metrics& GetMetrics() {
  static Metrics* const m = [] {
    auto& r = metrics::Registry();
    return new Metrics{
        prometheus::BuildCounter()
            .Name("agora_outbox_published_total")
            .Help("Outbox rows acknowledged by Kafka.")
            .Register(r),
        prometheus::BuildCounter()
            .Name("agora_outbox_failed_total")
            .Help("Outbox rows that failed to publish: kind unavailable (the cluster) or refused "
                  "(the message itself).")
            .Register(r),
        prometheus::BuildCounter()
            .Name("agora_outbox_dead_total")
            .Help("Outbox rows moved to outbox_dead after their attempts.")
            .Register(r),
        prometheus::BuildGauge()
            .Name("agora_outbox_backlog_rows")
            .Help("Rows waiting in the outbox.")
            .Register(r),
        prometheus::BuildGauge()
            .Name("agora_outbox_oldest_age_seconds")
            .Help("Age of the oldest row waiting in the outbox (0 when empty).")
            .Register(r),
        prometheus::BuildGauge()
            .Name("agora_outbox_dead_rows")
            .Help("Rows in outbox_dead: messages that were never published.")
            .Register(r),
        prometheus::BuildHistogram()
            .Name("agora_outbox_relay_latency_seconds")
            .Help("From an outbox row's insert to Kafka's acknowledgement.")
            .Register(r),
        prometheus::BuildCounter()
            .Name("agora_saga_commands_total")
            .Help("Saga commands handled by this participant, by command and outcome "
                  "(success, refused, duplicate).")
            .Register(r),
        prometheus::BuildHistogram()
            .Name("agora_saga_command_batch_size")
            .Help("Commands handled per PostgreSQL transaction.")
            .Register(r),
        prometheus::BuildCounter()
            .Name("agora_inbox_pruned_total")
            .Help("Inbox rows removed after the dedupe window.")
            .Register(r),
    };
  }();
  return *m;
}

const prometheus::Histogram::BucketBoundaries& BatchSizeBuckets() {
  static const auto* const b =
      new prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
  return *b;
}

}  // namespace agora::runtime::messaging
