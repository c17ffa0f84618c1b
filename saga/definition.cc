#include "saga/definition.h"

namespace agora::saga {

const char* CommandName(Command c) {
  switch (c) {
    case Command::kReserveStock: return "ReserveStock";
    case Command::kReleaseStock: return "ReleaseStock";
    case Command::kDebitBalance: return "DebitBalance";
    case Command::kRefundBalance: return "RefundBalance";
    case Command::kApproveOrder: return "ApproveOrder";
    case Command::kRejectOrder: return "RejectOrder";
    case Command::kMarkCancelled: return "MarkCancelled";
  }
  return "";
}

const char* Participant(Command c) {
  switch (c) {
    case Command::kReserveStock:
    case Command::kReleaseStock:
      return "inventory";
    case Command::kDebitBalance:
    case Command::kRefundBalance:
      return "customers";
    case Command::kApproveOrder:
    case Command::kRejectOrder:
    case Command::kMarkCancelled:
      return "orders";
  }
  return "";
}

SagaDefinition PlaceOrder(absl::Duration step_deadline, RetryPolicy retry) {
  SagaDefinition d;
  d.type = SagaType::kPlaceOrder;
  d.steps = {
      {Command::kReserveStock, Command::kReleaseStock, false, step_deadline, retry},
      {Command::kDebitBalance, Command::kRefundBalance, false, step_deadline, retry},
      {Command::kApproveOrder, std::nullopt, /*pivot=*/true, step_deadline, retry},
  };
  d.on_failure = Command::kRejectOrder;
  d.compensation_deadline = step_deadline;
  return d;
}

SagaDefinition CancelOrder(absl::Duration step_deadline, RetryPolicy retry) {
  SagaDefinition d;
  d.type = SagaType::kCancelOrder;
  d.steps = {
      {Command::kRefundBalance, std::nullopt, false, step_deadline, retry},
      {Command::kReleaseStock, std::nullopt, false, step_deadline, retry},
      {Command::kMarkCancelled, std::nullopt, false, step_deadline, retry},
  };
  d.forward_only = true;
  d.compensation_deadline = step_deadline;
  return d;
}

}  // namespace agora::saga
