#include "saga/metrics.h"

#include "prometheus/registry.h"
#include "runtime/metrics/metrics.h"
#include "saga/pg_store.h"

namespace agora::saga {

Metrics& GetMetrics() {
  static Metrics* const m = [] {
    auto& r = runtime::metrics::Registry();
    return new Metrics{
        prometheus::BuildCounter().Name("agora_saga_started_total").Help("Sagas started, by type.").Register(r),
        prometheus::BuildCounter()
            .Name("agora_saga_finished_total")
            .Help("Sagas ended, by type, outcome (completed, failed) and rejection reason.")
            .Register(r),
        prometheus::BuildGauge()
            .Name("agora_saga_in_flight")
            .Help("Sagas running or compensating, by type.")
            .Register(r),
        prometheus::BuildGauge()
            .Name("agora_saga_oldest_running_age_seconds")
            .Help("Age of the oldest saga still running or compensating (0 when none), by type.")
            .Register(r),
        prometheus::BuildHistogram()
            .Name("agora_saga_step_seconds")
            .Help("From a step's first send to its last reply, by step and outcome (succeeded, failed).")
            .Register(r),
        prometheus::BuildCounter()
            .Name("agora_saga_compensations_total")
            .Help("Steps undone, by the step undone and the saga's reason.")
            .Register(r),
        prometheus::BuildCounter()
            .Name("agora_saga_resends_total")
            .Help("Commands sent again (late replies, operator retries), by step.")
            .Register(r),
        prometheus::BuildCounter()
            .Name("agora_saga_step_timeouts_total")
            .Help("Steps that ran out of attempts, by step.")
            .Register(r),
        prometheus::BuildCounter()
            .Name("agora_saga_unreadable_records_total")
            .Help("Due sagas whose stored record this binary cannot read (written by another version), "
                  "set aside by the deadline scan.")
            .Register(r),
    };
  }();
  return *m;
}

void InitMetrics() {
  Metrics& m = GetMetrics();
  for (SagaType t : {SagaType::kPlaceOrder, SagaType::kCancelOrder}) m.started.Add({{"type", TypeName(t)}});
  m.unreadable.Add({});
  for (Command c : {Command::kReserveStock, Command::kReleaseStock, Command::kDebitBalance,
                    Command::kRefundBalance, Command::kApproveOrder, Command::kRejectOrder,
                    Command::kMarkCancelled}) {
    m.resends.Add({{"step", CommandName(c)}});
    m.timeouts.Add({{"step", CommandName(c)}});
  }
}

void Observe(const Saga* before, const Saga& after, const std::vector<Send>& sends) {
  Metrics& m = GetMetrics();
  const std::string type = TypeName(after.type);
  if (before == nullptr) m.started.Add({{"type", type}}).Increment();
  if ((before == nullptr || !before->ended()) && after.ended()) {
    m.finished
        .Add({{"type", type},
              {"outcome", after.status == SagaStatus::kCompleted ? "completed" : "failed"},
              {"reason", after.status == SagaStatus::kCompleted ? "" : ReasonName(after.reason)}})
        .Increment();
  }
  for (size_t i = 0; i < after.steps.size(); ++i) {
    const Step& now = after.steps[i];
    const bool was_running = before == nullptr || i >= before->steps.size() ||
                             before->steps[i].state == StepState::kRunning;
    const bool finished = now.state == StepState::kSucceeded || now.state == StepState::kFailed;
    if (was_running && finished) {
      m.step_seconds
          .Add({{"step", CommandName(now.command)}, {"outcome", now.state == StepState::kSucceeded ? "succeeded" : "failed"}},
               runtime::metrics::LatencyBuckets())
          .Observe(absl::ToDoubleSeconds(now.finished_at - now.started_at));
      if (now.error == "TIMED_OUT") m.timeouts.Add({{"step", CommandName(now.command)}}).Increment();
    }
    const bool fresh = before == nullptr || i >= before->steps.size();
    if (fresh && !now.forward && now.undoes >= 0) {
      m.compensations
          .Add({{"step", CommandName(after.steps[static_cast<size_t>(now.undoes)].command)},
                {"reason", ReasonName(after.reason)}})
          .Increment();
    }
  }
  for (const Send& send : sends) {
    if (send.attempt > 1) m.resends.Add({{"step", CommandName(send.command)}}).Increment();
  }
}

}  // namespace agora::saga
