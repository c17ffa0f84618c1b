#pragma once

// The metrics of runtime/messaging (relay, command handler, inbox), declared
// once. Labels are bounded: the schema (one per service), the command type
// (the saga's seven), an outcome or kind from a fixed set.

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"

namespace agora::runtime::messaging {

struct Metrics {
  // Relay, by schema.
  prometheus::Family<prometheus::Counter>& outbox_published;   // {schema}
  prometheus::Family<prometheus::Counter>& outbox_failed;      // {schema, kind=unavailable|refused}
  prometheus::Family<prometheus::Counter>& outbox_dead;        // {schema}
  prometheus::Family<prometheus::Gauge>& outbox_backlog;       // {schema}
  prometheus::Family<prometheus::Gauge>& outbox_oldest_age;    // {schema}
  prometheus::Family<prometheus::Gauge>& outbox_dead_rows;     // {schema}
  prometheus::Family<prometheus::Histogram>& relay_latency;    // {schema}
  // Command handler.
  prometheus::Family<prometheus::Counter>& commands;  // {command, outcome=success|refused|duplicate}
  prometheus::Family<prometheus::Histogram>& batch_size;       // {schema}: commands per transaction
  prometheus::Family<prometheus::Counter>& inbox_pruned;       // {schema}
};

// Registered in the process registry on first use.
Metrics& GetMetrics();

// The bucket boundaries of agora_saga_command_batch_size.
const prometheus::Histogram::BucketBoundaries& BatchSizeBuckets();

}  // namespace agora::runtime::messaging
