#pragma once

// Every metric of the saga coordinator, declared once. Labels are bounded:
// saga types, step names, outcomes and rejection reasons are fixed sets.

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "saga/state_machine.h"

namespace agora::saga {

struct Metrics {
  prometheus::Family<prometheus::Counter>& started;        // agora_saga_started_total{type}
  prometheus::Family<prometheus::Counter>& finished;       // agora_saga_finished_total{type,outcome,reason}
  prometheus::Family<prometheus::Gauge>& in_flight;        // agora_saga_in_flight{type}
  prometheus::Family<prometheus::Gauge>& oldest_running;   // agora_saga_oldest_running_age_seconds{type}
  prometheus::Family<prometheus::Histogram>& step_seconds; // agora_saga_step_seconds{step,outcome}
  prometheus::Family<prometheus::Counter>& compensations;  // agora_saga_compensations_total{step,reason}
  prometheus::Family<prometheus::Counter>& resends;        // agora_saga_resends_total{step}
  prometheus::Family<prometheus::Counter>& timeouts;       // agora_saga_step_timeouts_total{step}
  prometheus::Family<prometheus::Counter>& unreadable;     // agora_saga_unreadable_records_total
};

// Registered in the process registry on first use.
Metrics& GetMetrics();

// Creates, at 0, the series a dashboard or an alert reads before their first
// event: sagas started by type, re-sends and time-outs by step.
void InitMetrics();

// Counts what changed from `before` (nullptr for a new saga) to `after`,
// with the commands `sends`: a start, an end, steps finished, compensations
// begun, re-sends and time-outs.
void Observe(const Saga* before, const Saga& after, const std::vector<Send>& sends);

}  // namespace agora::saga
