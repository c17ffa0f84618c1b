#pragma once

// The saga state machine: PURE. Given a saga's state and one input (its
// start, a participant's reply, a passed deadline, the customer's cancel, an
// operator's abort or retry) it answers the next state and the commands to
// send. No clock, ids, database or Kafka here: the time and an id source are
// arguments, so every step, timeout and compensation is unit-tested alone
// (tests/saga/state_machine_test.cc). The coordinator (coordinator.h) loads
// the state, applies, and persists the result with its commands in one
// transaction.
//
// Rules (DESIGN.md, API.md "Cancel and abort race with approval"):
//   - Steps run in the definition's order, one command outstanding at a
//     time, each with a deadline. A late step is sent again with the SAME
//     message id (participants answer a duplicate with the stored reply)
//     and a longer wait; before the pivot, after its max attempts the step
//     fails with TIMED_OUT.
//   - A failure compensates, in reverse order, every step that ran or may
//     have run (a timed-out or aborted step too: tombstones make that safe),
//     then sends the definition's on_failure command (RejectOrder with the
//     reason). Compensations and the end command are retried until they
//     succeed; a refusal of one is retried with a new message id.
//   - Once ApproveOrder was sent (the pivot) the saga only moves forward.
//   - A cancel of a PENDING order stops the saga at the next step boundary
//     (the reply in flight) and compensates, reason CANCELLED_BY_CUSTOMER;
//     if ApproveOrder was already sent, the saga waits for its reply and
//     then asks for a cancel saga (start_cancel_saga).
//   - An abort compensates at once (reason ABORTED_BY_OPERATOR, the step in
//     flight counted as may-have-run); refused once ApproveOrder was sent or
//     the saga ended. A retry re-sends the outstanding command now (same id)
//     and resets its wait; refused once the saga ended.
//   - Replies to anything but the outstanding command (late duplicates,
//     replies to earlier sends) change nothing.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "saga/definition.h"

namespace agora::saga {

enum class SagaStatus { kRunning, kCompensating, kCompleted, kFailed };
enum class StepState { kPending, kRunning, kSucceeded, kFailed, kCompensated };

// RejectOrder's reasons (API.md), as orders names them.
enum class Reason {
  kNone,
  kOutOfStock,
  kInsufficientFunds,
  kProductUnavailable,
  kCancelledByCustomer,
  kTimedOut,
  kAbortedByOperator,
};
const char* ReasonName(Reason r);  // "OUT_OF_STOCK"; "" for kNone

struct Line {
  std::string product_id;
  int64_t quantity = 0;
  int64_t unit_price_cents = 0;
  bool on_sale = false;  // OrderLine.on_sale: passed on to ReserveStock
};

// What the commands of an order's sagas carry, from OrderCreated.
struct OrderData {
  std::string order_id;
  std::string customer_id;
  std::vector<Line> lines;
  int64_t total_cents = 0;
  bool from_cart = false;
};

struct Step {
  Command command;
  StepState state = StepState::kPending;
  int attempts = 0;
  absl::Time started_at;
  absl::Time finished_at;
  std::string error;       // a domain code when FAILED
  std::string message_id;  // of the command's envelope, kept across re-sends
  // For a compensation: the index (in Saga::steps) of the step it undoes.
  int undoes = -1;
  // A forward step that timed out or was aborted: it may have taken effect.
  bool may_have_run = false;
  // A step of the definition (not a compensation or the end command).
  bool forward = true;
  // Its last reply was a refusal: the next send needs a new message id (the
  // old one would be answered with the stored refusal).
  bool refused = false;
};

struct Saga {
  std::string id;
  SagaType type = SagaType::kPlaceOrder;
  SagaStatus status = SagaStatus::kRunning;
  OrderData order;
  // The timeline: every step in the order it started.
  std::vector<Step> steps;
  // Index in `steps` of the outstanding command; -1 once ended.
  int current = -1;
  // Index in the definition of the last forward step started.
  int forward = -1;
  // While compensating: what is left to send, in order (indexes in `steps`
  // of the steps to undo; -1 for the on_failure command).
  std::vector<int> to_undo;
  Reason reason = Reason::kNone;
  bool cancel_requested = false;
  bool pivot_sent = false;
  absl::Time started_at;
  absl::Time updated_at;
  // When the outstanding command is sent again (InfiniteFuture once ended).
  absl::Time deadline = absl::InfiniteFuture();
  // W3C trace context of the event that started the saga: every command the
  // saga sends carries it, re-sends and operator actions included.
  std::string traceparent;

  bool ended() const { return status == SagaStatus::kCompleted || status == SagaStatus::kFailed; }
  // The name of the step running or compensating ("" once ended).
  std::string current_step() const;
};

// ---- inputs
struct ReplyInput {
  std::string causation_id;  // the command's message id
  bool success = false;
  std::string error;
};
struct DeadlinePassed {};
struct CancelRequested {};
struct Abort {};
struct Retry {};
using Input = std::variant<ReplyInput, DeadlinePassed, CancelRequested, Abort, Retry>;

// ---- outputs
struct Send {
  Command command;
  std::string message_id;  // the same for a re-send
  int attempt = 1;
};

struct Transition {
  Saga saga;
  std::vector<Send> sends;
  // The place-order saga ended APPROVED with a cancel pending: the
  // coordinator starts the order's cancel saga.
  bool start_cancel_saga = false;
  // Nothing changed (a stale reply, a deadline not yet passed).
  bool changed = true;
  // FAILED_PRECONDITION for an abort or retry the saga refuses.
  absl::Status refused;
};

using IdSource = std::function<std::string()>;

// A new saga of `definition`'s type for `order`, its first command sent.
Transition Start(const SagaDefinition& definition, std::string saga_id, OrderData order,
                 absl::Time now, const IdSource& ids);

// `saga` after `input` at `now`.
Transition Apply(const SagaDefinition& definition, const Saga& saga, const Input& input,
                 absl::Time now, const IdSource& ids);

// The rejection reason a failure reply's code stands for.
Reason ReasonForError(const std::string& error);

}  // namespace agora::saga
