#pragma once

// Saga types as data (DESIGN.md "Data flow of an order"): each an ordered
// list of steps, each step a participant's command with its compensation,
// deadline and retry policy. The state machine (state_machine.h) reads
// these; nothing else knows the order of the steps.
//
//   PLACE_ORDER   ReserveStock (undo ReleaseStock) -> DebitBalance (undo
//                 RefundBalance) -> ApproveOrder (the pivot); on failure the
//                 steps that ran or may have run are undone in reverse
//                 order, then RejectOrder(reason).
//   CANCEL_ORDER  RefundBalance -> ReleaseStock -> MarkCancelled, forward
//                 only: each retried until it succeeds.

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace agora::saga {

enum class SagaType { kPlaceOrder, kCancelOrder };

enum class Command {
  kReserveStock,
  kReleaseStock,
  kDebitBalance,
  kRefundBalance,
  kApproveOrder,
  kRejectOrder,
  kMarkCancelled,
};

// "ReserveStock", ...: the step names of the timeline (API.md).
const char* CommandName(Command c);
// The participant whose command topic carries it: "inventory", "customers"
// or "orders".
const char* Participant(Command c);

struct RetryPolicy {
  // Sends of a step before the saga gives up on it (before the pivot only:
  // from the pivot on, and for every compensation, sends never stop).
  int max_attempts = 5;
  // The wait for a reply grows from the step's deadline by this factor per
  // send, up to max_wait.
  double backoff_factor = 2.0;
  absl::Duration max_wait = absl::Seconds(30);
};

struct StepDefinition {
  Command command;
  // Undoes the step; none for the pivot and for forward-only sagas.
  std::optional<Command> compensation;
  // From this step on the saga only moves forward (ApproveOrder).
  bool pivot = false;
  // How long a reply may take before the command is sent again.
  absl::Duration deadline = absl::Seconds(5);
  RetryPolicy retry;
};

struct SagaDefinition {
  SagaType type;
  std::vector<StepDefinition> steps;
  // Sent last after the compensations of a failed saga (RejectOrder).
  std::optional<Command> on_failure;
  // Every step retried until it succeeds; nothing is compensated.
  bool forward_only = false;
  // Waits for a compensation or an end command never stop; between
  // re-sends they grow up to this.
  absl::Duration compensation_deadline = absl::Seconds(5);
};

// `step_deadline`: each step's first wait for its reply (a setting).
SagaDefinition PlaceOrder(absl::Duration step_deadline = absl::Seconds(5), RetryPolicy retry = {});
SagaDefinition CancelOrder(absl::Duration step_deadline = absl::Seconds(5), RetryPolicy retry = {});

}  // namespace agora::saga
