#include "saga/state_machine.h"

#include <algorithm>
#include <utility>

namespace agora::saga {

const char* ReasonName(Reason r) {
  switch (r) {
    case Reason::kNone: return "";
    case Reason::kOutOfStock: return "OUT_OF_STOCK";
    case Reason::kInsufficientFunds: return "INSUFFICIENT_FUNDS";
    case Reason::kProductUnavailable: return "PRODUCT_UNAVAILABLE";
    case Reason::kCancelledByCustomer: return "CANCELLED_BY_CUSTOMER";
    case Reason::kTimedOut: return "TIMED_OUT";
    case Reason::kAbortedByOperator: return "ABORTED_BY_OPERATOR";
  }
  return "";
}

// The participants' refusal codes (README "Saga messaging"), as the reasons
// a customer is shown. A tombstone (RELEASED, REFUNDED) means a compensation
// overtook its command: only a timed-out saga sends those.
Reason ReasonForError(const std::string& error) {
  if (error == "OUT_OF_STOCK") return Reason::kOutOfStock;
  if (error == "INSUFFICIENT_FUNDS" || error == "UNKNOWN_CUSTOMER" || error == "INVALID_AMOUNT") {
    return Reason::kInsufficientFunds;
  }
  if (error == "PRODUCT_UNAVAILABLE" || error == "INVALID_LINES") return Reason::kProductUnavailable;
  return Reason::kTimedOut;
}

std::string Saga::current_step() const {
  if (ended() || current < 0 || current >= static_cast<int>(steps.size())) return "";
  return CommandName(steps[static_cast<size_t>(current)].command);
}

namespace {

absl::Duration Grown(absl::Duration first, const RetryPolicy& retry, int attempt) {
  absl::Duration wait = first;
  for (int i = 1; i < attempt && wait < retry.max_wait; ++i) wait = wait * retry.backoff_factor;
  return std::min(wait, std::max(first, retry.max_wait));
}

const StepDefinition* DefinitionOf(const SagaDefinition& def, Command c) {
  for (const StepDefinition& d : def.steps) {
    if (d.command == c) return &d;
  }
  return nullptr;
}

// How long the outstanding step's `attempt`-th send waits for its reply.
absl::Duration WaitFor(const SagaDefinition& def, const Step& step, int attempt) {
  if (step.forward) {
    if (const StepDefinition* d = DefinitionOf(def, step.command)) return Grown(d->deadline, d->retry, attempt);
  }
  const RetryPolicy policy = def.steps.empty() ? RetryPolicy{} : def.steps.front().retry;
  return Grown(def.compensation_deadline, policy, attempt);
}

class Machine final {
 public:
  Machine(const SagaDefinition& def, Saga saga, absl::Time now, const IdSource& ids)
      : def_(def), ids_(ids), now_(now) {
    t_.saga = std::move(saga);
  }

  Transition Done() {
    if (t_.changed) t_.saga.updated_at = now_;
    return std::move(t_);
  }
  Transition Unchanged() {
    t_.changed = false;
    return std::move(t_);
  }
  Transition Refuse(const char* why) {
    t_.changed = false;
    t_.refused = absl::FailedPreconditionError(why);
    return std::move(t_);
  }

  Saga& s() { return t_.saga; }
  Step& Current() { return s().steps[static_cast<size_t>(s().current)]; }

  // A new step of the timeline, its command sent.
  void Begin(Command c, bool forward, int undoes) {
    Step step;
    step.command = c;
    step.state = StepState::kRunning;
    step.attempts = 1;
    step.started_at = now_;
    step.message_id = ids_();
    step.forward = forward;
    step.undoes = undoes;
    s().steps.push_back(std::move(step));
    s().current = static_cast<int>(s().steps.size()) - 1;
    s().deadline = now_ + WaitFor(def_, Current(), 1);
    t_.sends.push_back({c, Current().message_id, 1});
  }

  void StartForward(int index) {
    const StepDefinition& d = def_.steps[static_cast<size_t>(index)];
    s().forward = index;
    if (d.pivot) s().pivot_sent = true;
    Begin(d.command, /*forward=*/true, -1);
  }

  void Finish(SagaStatus status) {
    s().status = status;
    s().current = -1;
    s().deadline = absl::InfiniteFuture();
    s().to_undo.clear();
  }

  // Undoes, in reverse order, every forward step that ran or may have run,
  // then sends the end command.
  void Compensate(Reason reason) {
    s().status = SagaStatus::kCompensating;
    s().reason = reason;
    s().to_undo.clear();
    for (int i = static_cast<int>(s().steps.size()) - 1; i >= 0; --i) {
      const Step& step = s().steps[static_cast<size_t>(i)];
      if (!step.forward) continue;
      const StepDefinition* d = DefinitionOf(def_, step.command);
      const bool ran = step.state == StepState::kSucceeded || step.may_have_run;
      if (ran && d != nullptr && d->compensation.has_value()) s().to_undo.push_back(i);
    }
    if (def_.on_failure.has_value()) s().to_undo.push_back(-1);
    NextUndo();
  }

  void NextUndo() {
    if (s().to_undo.empty()) {
      Finish(SagaStatus::kFailed);
      return;
    }
    const int target = s().to_undo.front();
    s().to_undo.erase(s().to_undo.begin());
    const Command c = target >= 0
                          ? *DefinitionOf(def_, s().steps[static_cast<size_t>(target)].command)->compensation
                          : *def_.on_failure;
    Begin(c, /*forward=*/false, target);
  }

  // Sends the outstanding command again: the same message id unless its
  // last reply was a refusal.
  void Resend(bool reset_wait) {
    Step& step = Current();
    if (step.refused) {
      step.message_id = ids_();
      step.refused = false;
    }
    ++step.attempts;
    s().deadline = now_ + WaitFor(def_, step, reset_wait ? 1 : step.attempts);
    t_.sends.push_back({step.command, step.message_id, step.attempts});
  }

  // The end command has not been sent yet: the reason may still change.
  bool EndPending() const {
    const Saga& saga = t_.saga;
    if (std::find(saga.to_undo.begin(), saga.to_undo.end(), -1) != saga.to_undo.end()) return true;
    return saga.status == SagaStatus::kRunning;
  }

  Transition OnReply(const ReplyInput& reply) {
    if (s().ended() || s().current < 0 || reply.causation_id != Current().message_id) return Unchanged();
    Step& step = Current();
    if (step.forward) return OnForwardReply(step, reply);
    if (!reply.success) return Refused(step, reply.error);
    step.state = StepState::kSucceeded;
    step.finished_at = now_;
    step.error.clear();
    if (step.undoes >= 0) s().steps[static_cast<size_t>(step.undoes)].state = StepState::kCompensated;
    NextUndo();
    return Done();
  }

  Transition OnForwardReply(Step& step, const ReplyInput& reply) {
    const StepDefinition& d = def_.steps[static_cast<size_t>(s().forward)];
    if (!reply.success) {
      // From the pivot on (and in a forward-only saga) nothing is undone:
      // the step is sent again until it succeeds.
      if (def_.forward_only || d.pivot) return Refused(step, reply.error);
      step.state = StepState::kFailed;
      step.error = reply.error;
      step.finished_at = now_;
      Compensate(s().cancel_requested ? Reason::kCancelledByCustomer : ReasonForError(reply.error));
      return Done();
    }
    step.state = StepState::kSucceeded;
    step.finished_at = now_;
    step.error.clear();
    if (d.pivot) {
      Finish(SagaStatus::kCompleted);
      t_.start_cancel_saga = s().cancel_requested;
      return Done();
    }
    if (s().cancel_requested && !def_.forward_only) {
      Compensate(Reason::kCancelledByCustomer);
      return Done();
    }
    if (s().forward + 1 < static_cast<int>(def_.steps.size())) {
      StartForward(s().forward + 1);
    } else {
      Finish(SagaStatus::kCompleted);
    }
    return Done();
  }

  // A step that must succeed was refused: kept running, sent again (with a
  // new id) when its wait is over.
  Transition Refused(Step& step, const std::string& error) {
    step.error = error;
    step.refused = true;
    return Done();
  }

  Transition OnDeadline() {
    if (s().ended() || s().current < 0 || now_ < s().deadline) return Unchanged();
    Step& step = Current();
    if (step.forward && !def_.forward_only) {
      const StepDefinition& d = def_.steps[static_cast<size_t>(s().forward)];
      if (!d.pivot && step.attempts >= d.retry.max_attempts) {
        step.state = StepState::kFailed;
        step.error = "TIMED_OUT";
        step.may_have_run = true;
        step.finished_at = now_;
        Compensate(s().cancel_requested ? Reason::kCancelledByCustomer : Reason::kTimedOut);
        return Done();
      }
    }
    Resend(/*reset_wait=*/false);
    return Done();
  }

  Transition OnCancel() {
    if (s().ended()) {
      // The approval won: the order is APPROVED, its cancel runs as a saga of its own.
      if (s().type == SagaType::kPlaceOrder && s().status == SagaStatus::kCompleted &&
          !s().cancel_requested) {
        s().cancel_requested = true;
        t_.start_cancel_saga = true;
        return Done();
      }
      return Unchanged();
    }
    if (def_.forward_only || s().cancel_requested) return Unchanged();
    s().cancel_requested = true;
    // Compensating already: the order ends CANCELLED_BY_CUSTOMER if
    // RejectOrder is still to be sent. Running: stopped at the reply in flight.
    if (s().status == SagaStatus::kCompensating && EndPending()) s().reason = Reason::kCancelledByCustomer;
    return Done();
  }

  Transition OnAbort() {
    if (s().ended()) return Refuse("the saga has ended");
    if (s().pivot_sent) return Refuse("the saga has sent ApproveOrder: it can only go forward");
    if (def_.forward_only) return Refuse("a cancel saga only goes forward");
    // A cancel accepted first keeps its reason (API.md: such an order always
    // ends CANCELLED_BY_CUSTOMER); the abort still stops the saga at once.
    const Reason reason = s().cancel_requested ? Reason::kCancelledByCustomer : Reason::kAbortedByOperator;
    if (s().status == SagaStatus::kCompensating) {
      if (EndPending()) s().reason = reason;
      return Done();
    }
    Step& step = Current();
    step.state = StepState::kFailed;
    step.error = "ABORTED";
    step.may_have_run = true;
    step.finished_at = now_;
    Compensate(reason);
    return Done();
  }

  Transition OnRetry() {
    if (s().ended()) return Refuse("the saga has ended");
    Resend(/*reset_wait=*/true);
    return Done();
  }

 private:
  const SagaDefinition& def_;
  const IdSource& ids_;
  const absl::Time now_;
  Transition t_;
};

}  // namespace

Transition Start(const SagaDefinition& definition, std::string saga_id, OrderData order,
                 absl::Time now, const IdSource& ids) {
  Saga saga;
  saga.id = std::move(saga_id);
  saga.type = definition.type;
  saga.order = std::move(order);
  saga.started_at = now;
  Machine m(definition, std::move(saga), now, ids);
  m.StartForward(0);
  return m.Done();
}

Transition Apply(const SagaDefinition& definition, const Saga& saga, const Input& input,
                 absl::Time now, const IdSource& ids) {
  Machine m(definition, saga, now, ids);
  return std::visit(
      [&m](const auto& in) -> Transition {
        using T = std::decay_t<decltype(in)>;
        if constexpr (std::is_same_v<T, ReplyInput>) return m.OnReply(in);
        if constexpr (std::is_same_v<T, DeadlinePassed>) return m.OnDeadline();
        if constexpr (std::is_same_v<T, CancelRequested>) return m.OnCancel();
        if constexpr (std::is_same_v<T, Abort>) return m.OnAbort();
        if constexpr (std::is_same_v<T, Retry>) return m.OnRetry();
      },
      input);
}

}  // namespace agora::saga
