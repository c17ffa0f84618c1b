// The saga state machine alone: every step, timeout, compensation, cancel,
// abort and retry, with a fake clock and ids.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "saga/state_machine.h"

namespace agora::saga {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

class Run final {
 public:
  explicit Run(SagaDefinition def = PlaceOrder(absl::Seconds(5), RetryPolicy{3, 2.0, absl::Seconds(30)}))
      : def_(std::move(def)) {
    OrderData order{"order-1", "customer-1", {{"p-1", 2, 500}}, 1000, false};
    Take(Start(def_, "saga-1", order, now_, Ids()));
  }

  IdSource Ids() {
    return [this] { return absl::StrCat("m", ++next_id_); };
  }
  void Advance(absl::Duration d) { now_ += d; }
  const Saga& saga() const { return saga_; }
  const Transition& last() const { return last_; }
  const std::vector<Send>& sends() const { return last_.sends; }
  // The message id of the outstanding command.
  std::string Outstanding() const { return saga_.steps[static_cast<size_t>(saga_.current)].message_id; }

  const Transition& Reply(bool success, const std::string& error = "") {
    return Take(Apply(def_, saga_, ReplyInput{Outstanding(), success, error}, now_, Ids()));
  }
  const Transition& ReplyTo(const std::string& id, bool success, const std::string& error = "") {
    return Take(Apply(def_, saga_, ReplyInput{id, success, error}, now_, Ids()));
  }
  const Transition& Input(const saga::Input& input) { return Take(Apply(def_, saga_, input, now_, Ids())); }
  const Transition& Timeout() {
    now_ = saga_.deadline;
    return Input(DeadlinePassed{});
  }

  // The timeline as "Name:STATE" words.
  std::vector<std::string> Timeline() const {
    std::vector<std::string> out;
    for (const Step& s : saga_.steps) {
      static const char* kStates[] = {"PENDING", "RUNNING", "SUCCEEDED", "FAILED", "COMPENSATED"};
      out.push_back(absl::StrCat(CommandName(s.command), ":", kStates[static_cast<int>(s.state)]));
    }
    return out;
  }
  Command Sent() const {
    REQUIRE(last_.sends.size() == 1);
    return last_.sends[0].command;
  }

 private:
  const Transition& Take(Transition t) {
    last_ = std::move(t);
    saga_ = last_.saga;
    return last_;
  }

  SagaDefinition def_;
  absl::Time now_ = kT0;
  int next_id_ = 0;
  Saga saga_;
  Transition last_;
};

using V = std::vector<std::string>;

TEST_CASE("a place-order saga reserves, debits, approves, and completes", "[unit]") {
  Run r;
  CHECK(r.Sent() == Command::kReserveStock);
  CHECK(r.saga().status == SagaStatus::kRunning);
  CHECK(r.saga().current_step() == "ReserveStock");
  CHECK(r.saga().deadline == kT0 + absl::Seconds(5));
  r.Advance(absl::Milliseconds(30));
  r.Reply(true);
  CHECK(r.Sent() == Command::kDebitBalance);
  r.Reply(true);
  CHECK(r.Sent() == Command::kApproveOrder);
  CHECK(r.saga().pivot_sent);
  r.Reply(true);
  CHECK(r.sends().empty());
  CHECK(r.saga().status == SagaStatus::kCompleted);
  CHECK(r.saga().current_step().empty());
  CHECK(r.saga().deadline == absl::InfiniteFuture());
  CHECK(r.Timeline() == V{"ReserveStock:SUCCEEDED", "DebitBalance:SUCCEEDED", "ApproveOrder:SUCCEEDED"});
  CHECK(r.saga().steps[0].attempts == 1);
  CHECK(r.saga().steps[0].finished_at == kT0 + absl::Milliseconds(30));
  CHECK_FALSE(r.last().start_cancel_saga);
}

TEST_CASE("out of stock: nothing to undo, the order is rejected OUT_OF_STOCK", "[unit]") {
  Run r;
  r.Reply(false, "OUT_OF_STOCK");
  CHECK(r.Sent() == Command::kRejectOrder);
  CHECK(r.saga().status == SagaStatus::kCompensating);
  CHECK(r.saga().reason == Reason::kOutOfStock);
  r.Reply(true);
  CHECK(r.saga().status == SagaStatus::kFailed);
  CHECK(r.Timeline() == V{"ReserveStock:FAILED", "RejectOrder:SUCCEEDED"});
  CHECK(r.saga().steps[0].error == "OUT_OF_STOCK");
}

TEST_CASE("insufficient funds: the reserved stock is released, then the order rejected", "[unit]") {
  Run r;
  r.Reply(true);
  r.Reply(false, "INSUFFICIENT_FUNDS");
  CHECK(r.Sent() == Command::kReleaseStock);
  r.Reply(true);
  CHECK(r.Sent() == Command::kRejectOrder);
  CHECK(r.saga().reason == Reason::kInsufficientFunds);
  r.Reply(true);
  CHECK(r.saga().status == SagaStatus::kFailed);
  CHECK(r.Timeline() ==
        V{"ReserveStock:COMPENSATED", "DebitBalance:FAILED", "ReleaseStock:SUCCEEDED", "RejectOrder:SUCCEEDED"});
}

TEST_CASE("refusals map to the reasons a customer sees", "[unit]") {
  CHECK(ReasonForError("OUT_OF_STOCK") == Reason::kOutOfStock);
  CHECK(ReasonForError("PRODUCT_UNAVAILABLE") == Reason::kProductUnavailable);
  CHECK(ReasonForError("INVALID_LINES") == Reason::kProductUnavailable);
  CHECK(ReasonForError("INSUFFICIENT_FUNDS") == Reason::kInsufficientFunds);
  CHECK(ReasonForError("UNKNOWN_CUSTOMER") == Reason::kInsufficientFunds);
  CHECK(ReasonForError("RELEASED") == Reason::kTimedOut);
  CHECK(std::string(ReasonName(Reason::kCancelledByCustomer)) == "CANCELLED_BY_CUSTOMER");
}

TEST_CASE("a late step is sent again with the same id and a longer wait, then times out and "
          "everything that may have run is undone",
          "[unit]") {
  Run r;
  r.Reply(true);  // reserved
  const std::string debit = r.Outstanding();
  // Before the deadline nothing happens.
  r.Advance(absl::Seconds(1));
  CHECK_FALSE(r.Input(DeadlinePassed{}).changed);
  r.Timeout();
  REQUIRE(r.sends().size() == 1);
  CHECK(r.sends()[0].command == Command::kDebitBalance);
  CHECK(r.sends()[0].message_id == debit);
  CHECK(r.sends()[0].attempt == 2);
  const absl::Time second = r.saga().deadline;
  r.Timeout();
  CHECK(r.sends()[0].attempt == 3);
  CHECK(r.saga().deadline - second > absl::Seconds(10));  // 5 s, 10 s, 20 s
  // Its 3 attempts spent: the debit may have happened, so it is refunded too.
  r.Timeout();
  CHECK(r.Sent() == Command::kRefundBalance);
  CHECK(r.saga().steps[1].error == "TIMED_OUT");
  CHECK(r.saga().steps[1].may_have_run);
  r.Reply(true);
  CHECK(r.Sent() == Command::kReleaseStock);
  r.Reply(true);
  CHECK(r.Sent() == Command::kRejectOrder);
  CHECK(r.saga().reason == Reason::kTimedOut);
  // The debit's reply, arriving now, changes nothing.
  CHECK_FALSE(r.ReplyTo(debit, true).changed);
  r.Reply(true);
  CHECK(r.Timeline() == V{"ReserveStock:COMPENSATED", "DebitBalance:COMPENSATED", "RefundBalance:SUCCEEDED",
                          "ReleaseStock:SUCCEEDED", "RejectOrder:SUCCEEDED"});
}

TEST_CASE("replies to anything but the outstanding command change nothing", "[unit]") {
  Run r;
  const std::string reserve = r.Outstanding();
  r.Reply(true);
  CHECK_FALSE(r.ReplyTo(reserve, true).changed);        // a duplicate of the first reply
  CHECK_FALSE(r.ReplyTo("someone-else", false, "X").changed);
  CHECK(r.saga().current_step() == "DebitBalance");
}

TEST_CASE("from the pivot on, the saga only goes forward: ApproveOrder is sent until it succeeds",
          "[unit]") {
  Run r;
  r.Reply(true);
  r.Reply(true);
  const std::string approve = r.Outstanding();
  for (int i = 0; i < 10; ++i) {
    r.Timeout();
    CHECK(r.sends()[0].message_id == approve);
  }
  CHECK(r.saga().status == SagaStatus::kRunning);
  CHECK(r.saga().deadline - r.saga().steps.back().started_at <= absl::Hours(1));
  // A refusal is sent again with a new id (the old one answers the stored refusal).
  r.Reply(false, "INVALID_ORDER_STATUS");
  CHECK(r.sends().empty());
  CHECK(r.saga().status == SagaStatus::kRunning);
  r.Timeout();
  CHECK(r.sends()[0].command == Command::kApproveOrder);
  CHECK(r.sends()[0].message_id != approve);
  r.Reply(true);
  CHECK(r.saga().status == SagaStatus::kCompleted);
}

TEST_CASE("a compensation that is refused is sent again with a new id until it succeeds", "[unit]") {
  Run r;
  r.Reply(true);
  r.Reply(false, "INSUFFICIENT_FUNDS");
  const std::string release = r.Outstanding();
  r.Reply(false, "SOMETHING_ODD");
  CHECK(r.saga().status == SagaStatus::kCompensating);
  r.Timeout();
  CHECK(r.sends()[0].command == Command::kReleaseStock);
  CHECK(r.sends()[0].message_id != release);
  // Late, but never given up.
  for (int i = 0; i < 20; ++i) r.Timeout();
  CHECK(r.saga().current_step() == "ReleaseStock");
  r.Reply(true);
  CHECK(r.Sent() == Command::kRejectOrder);
}

TEST_CASE("a cancel of a pending order stops the saga at the next step boundary", "[unit]") {
  Run r;
  r.Input(CancelRequested{});
  CHECK(r.sends().empty());
  CHECK(r.saga().cancel_requested);
  r.Reply(true);  // the reservation in flight lands: then undone
  CHECK(r.Sent() == Command::kReleaseStock);
  r.Reply(true);
  CHECK(r.Sent() == Command::kRejectOrder);
  CHECK(r.saga().reason == Reason::kCancelledByCustomer);
  r.Reply(true);
  CHECK(r.saga().status == SagaStatus::kFailed);
  CHECK(r.Timeline() == V{"ReserveStock:COMPENSATED", "ReleaseStock:SUCCEEDED", "RejectOrder:SUCCEEDED"});
}

TEST_CASE("a cancel that finds a step refused still ends CANCELLED_BY_CUSTOMER", "[unit]") {
  Run r;
  r.Input(CancelRequested{});
  r.Reply(false, "OUT_OF_STOCK");
  CHECK(r.saga().reason == Reason::kCancelledByCustomer);
  // A cancel while compensating, before RejectOrder went out, sets the reason too.
  Run s;
  s.Reply(true);
  s.Reply(false, "INSUFFICIENT_FUNDS");
  CHECK(s.saga().reason == Reason::kInsufficientFunds);
  s.Input(CancelRequested{});
  CHECK(s.saga().reason == Reason::kCancelledByCustomer);
  s.Reply(true);
  CHECK(s.Sent() == Command::kRejectOrder);
  // Once RejectOrder was sent, the reason stays.
  s.Input(Abort{});
  CHECK(s.saga().reason == Reason::kCancelledByCustomer);
}

TEST_CASE("a cancel after ApproveOrder was sent waits for the approval, then asks for the cancel "
          "saga",
          "[unit]") {
  Run r;
  r.Reply(true);
  r.Reply(true);  // ApproveOrder sent
  r.Input(CancelRequested{});
  CHECK(r.sends().empty());
  r.Reply(true);
  CHECK(r.saga().status == SagaStatus::kCompleted);
  CHECK(r.last().start_cancel_saga);
  // A second cancel changes nothing.
  CHECK_FALSE(r.Input(CancelRequested{}).changed);
  CHECK_FALSE(r.last().start_cancel_saga);
}

TEST_CASE("a cancel of an order whose saga completed asks for the cancel saga once", "[unit]") {
  Run r;
  r.Reply(true);
  r.Reply(true);
  r.Reply(true);
  CHECK(r.Input(CancelRequested{}).start_cancel_saga);
  CHECK_FALSE(r.Input(CancelRequested{}).start_cancel_saga);
}

TEST_CASE("an abort compensates at once, the step in flight included; refused after the pivot "
          "or the end",
          "[unit]") {
  Run r;
  r.Reply(true);
  r.Input(Abort{});  // DebitBalance in flight: may have run
  CHECK(r.last().refused.ok());
  CHECK(r.Sent() == Command::kRefundBalance);
  r.Reply(true);
  CHECK(r.Sent() == Command::kReleaseStock);
  r.Reply(true);
  CHECK(r.Sent() == Command::kRejectOrder);
  CHECK(r.saga().reason == Reason::kAbortedByOperator);
  r.Reply(true);
  CHECK(r.Timeline() == V{"ReserveStock:COMPENSATED", "DebitBalance:COMPENSATED", "RefundBalance:SUCCEEDED",
                          "ReleaseStock:SUCCEEDED", "RejectOrder:SUCCEEDED"});
  CHECK(r.Input(Abort{}).refused.code() == absl::StatusCode::kFailedPrecondition);

  Run p;
  p.Reply(true);
  p.Reply(true);  // ApproveOrder sent
  CHECK(p.Input(Abort{}).refused.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(p.saga().status == SagaStatus::kRunning);
}

TEST_CASE("a cancel accepted first keeps its reason when an abort follows; an abort first gives way to a later "
          "cancel",
          "[unit]") {
  // Cancel, then abort while the step's reply is awaited: the abort stops
  // the saga at once, the order ends CANCELLED_BY_CUSTOMER.
  Run r;
  r.Input(CancelRequested{});
  r.Input(Abort{});
  CHECK(r.saga().status == SagaStatus::kCompensating);
  CHECK(r.Sent() == Command::kReleaseStock);
  CHECK(r.saga().reason == Reason::kCancelledByCustomer);
  // Cancel, then abort while compensating.
  Run c;
  c.Reply(true);
  c.Input(CancelRequested{});
  c.Reply(true);  // DebitBalance lands: undone
  REQUIRE(c.saga().status == SagaStatus::kCompensating);
  c.Input(Abort{});
  CHECK(c.saga().reason == Reason::kCancelledByCustomer);
  // Abort, then cancel before RejectOrder went out: the customer's reason.
  Run a;
  a.Input(Abort{});
  CHECK(a.saga().reason == Reason::kAbortedByOperator);
  a.Input(CancelRequested{});
  CHECK(a.saga().reason == Reason::kCancelledByCustomer);
}

TEST_CASE("a retry re-sends the outstanding command now with the same id and resets its wait",
          "[unit]") {
  Run r;
  const std::string reserve = r.Outstanding();
  r.Timeout();
  r.Timeout();  // waits 5 s, 10 s, now 20 s
  r.Advance(absl::Seconds(1));
  r.Input(Retry{});
  REQUIRE(r.sends().size() == 1);
  CHECK(r.sends()[0].message_id == reserve);
  CHECK(r.sends()[0].attempt == 4);
  CHECK(r.saga().deadline == r.saga().updated_at + absl::Seconds(5));
  r.Reply(true);
  r.Reply(true);
  r.Reply(true);
  CHECK(r.Input(Retry{}).refused.code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("a cancel saga refunds, releases and marks cancelled, each retried until it succeeds",
          "[unit]") {
  Run r(CancelOrder(absl::Seconds(5), RetryPolicy{2, 2.0, absl::Seconds(30)}));
  CHECK(r.Sent() == Command::kRefundBalance);
  for (int i = 0; i < 5; ++i) r.Timeout();  // past max_attempts: never given up
  CHECK(r.saga().status == SagaStatus::kRunning);
  r.Reply(false, "PAYER_MISMATCH");
  r.Timeout();
  CHECK(r.Sent() == Command::kRefundBalance);
  r.Reply(true);
  CHECK(r.Sent() == Command::kReleaseStock);
  r.Reply(true);
  CHECK(r.Sent() == Command::kMarkCancelled);
  r.Reply(true);
  CHECK(r.saga().status == SagaStatus::kCompleted);
  CHECK(r.Timeline() == V{"RefundBalance:SUCCEEDED", "ReleaseStock:SUCCEEDED", "MarkCancelled:SUCCEEDED"});
  CHECK(r.Input(Abort{}).refused.code() == absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace agora::saga
