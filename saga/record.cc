#include "saga/record.h"

#include <limits>

namespace agora::saga {
namespace {

int64_t Micros(absl::Time t) {
  if (t == absl::InfiniteFuture()) return std::numeric_limits<int64_t>::max();
  if (t == absl::InfinitePast()) return std::numeric_limits<int64_t>::min();
  return absl::ToUnixMicros(t);
}

absl::Time FromMicros(int64_t us) {
  if (us == std::numeric_limits<int64_t>::max()) return absl::InfiniteFuture();
  if (us == std::numeric_limits<int64_t>::min()) return absl::InfinitePast();
  return absl::FromUnixMicros(us);
}

template <typename E>
bool InRange(int32_t v, E last) {
  return v >= 0 && v <= static_cast<int32_t>(last);
}

}  // namespace

agora::saga::v1::SagaRecord ToRecord(const Saga& s) {
  agora::saga::v1::SagaRecord r;
  r.set_id(s.id);
  r.set_type(static_cast<int32_t>(s.type));
  r.set_status(static_cast<int32_t>(s.status));
  r.set_order_id(s.order.order_id);
  r.set_customer_id(s.order.customer_id);
  for (const Line& l : s.order.lines) {
    auto* line = r.add_lines();
    line->set_product_id(l.product_id);
    line->set_quantity(l.quantity);
    line->set_unit_price_cents(l.unit_price_cents);
    line->set_on_sale(l.on_sale);
  }
  r.set_total_cents(s.order.total_cents);
  r.set_from_cart(s.order.from_cart);
  for (const Step& st : s.steps) {
    auto* step = r.add_steps();
    step->set_command(static_cast<int32_t>(st.command));
    step->set_state(static_cast<int32_t>(st.state));
    step->set_attempts(st.attempts);
    step->set_started_at_us(Micros(st.started_at));
    step->set_finished_at_us(Micros(st.finished_at));
    step->set_error(st.error);
    step->set_message_id(st.message_id);
    step->set_undoes(st.undoes);
    step->set_may_have_run(st.may_have_run);
    step->set_forward(st.forward);
    step->set_refused(st.refused);
  }
  r.set_current(s.current);
  r.set_forward(s.forward);
  for (int i : s.to_undo) r.add_to_undo(i);
  r.set_reason(static_cast<int32_t>(s.reason));
  r.set_cancel_requested(s.cancel_requested);
  r.set_pivot_sent(s.pivot_sent);
  r.set_started_at_us(Micros(s.started_at));
  r.set_updated_at_us(Micros(s.updated_at));
  r.set_deadline_us(Micros(s.deadline));
  r.set_traceparent(s.traceparent);
  return r;
}

absl::StatusOr<Saga> FromRecord(const agora::saga::v1::SagaRecord& r) {
  if (!InRange(r.type(), SagaType::kCancelOrder) || !InRange(r.status(), SagaStatus::kFailed) ||
      !InRange(r.reason(), Reason::kAbortedByOperator)) {
    return absl::InvalidArgumentError("saga record holds an unknown type, status or reason");
  }
  Saga s;
  s.id = r.id();
  s.type = static_cast<SagaType>(r.type());
  s.status = static_cast<SagaStatus>(r.status());
  s.order.order_id = r.order_id();
  s.order.customer_id = r.customer_id();
  for (const auto& l : r.lines()) {
    s.order.lines.push_back({l.product_id(), l.quantity(), l.unit_price_cents(), l.on_sale()});
  }
  s.order.total_cents = r.total_cents();
  s.order.from_cart = r.from_cart();
  for (const auto& st : r.steps()) {
    if (!InRange(st.command(), Command::kMarkCancelled) || !InRange(st.state(), StepState::kCompensated)) {
      return absl::InvalidArgumentError("saga record holds an unknown step");
    }
    Step step;
    step.command = static_cast<Command>(st.command());
    step.state = static_cast<StepState>(st.state());
    step.attempts = st.attempts();
    step.started_at = FromMicros(st.started_at_us());
    step.finished_at = FromMicros(st.finished_at_us());
    step.error = st.error();
    step.message_id = st.message_id();
    step.undoes = st.undoes();
    step.may_have_run = st.may_have_run();
    step.forward = st.forward();
    step.refused = st.refused();
    s.steps.push_back(std::move(step));
  }
  const int steps = static_cast<int>(s.steps.size());
  if (r.current() < -1 || r.current() >= steps) return absl::InvalidArgumentError("saga record's step out of range");
  s.current = r.current();
  s.forward = r.forward();
  for (int i : r.to_undo()) {
    if (i < -1 || i >= steps) return absl::InvalidArgumentError("saga record's undo out of range");
    s.to_undo.push_back(i);
  }
  s.reason = static_cast<Reason>(r.reason());
  s.cancel_requested = r.cancel_requested();
  s.pivot_sent = r.pivot_sent();
  s.started_at = FromMicros(r.started_at_us());
  s.updated_at = FromMicros(r.updated_at_us());
  s.deadline = FromMicros(r.deadline_us());
  s.traceparent = r.traceparent();
  return s;
}

}  // namespace agora::saga
