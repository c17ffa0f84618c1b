#include "orders/participant.h"

#include "agora/saga/v1/messages.pb.h"
#include "orders/convert.h"
#include "orders/metrics.h"
#include "runtime/ids/uuid.h"

namespace agora::orders {
namespace {

namespace saga = agora::saga::v1;
using runtime::messaging::Envelope;
using runtime::messaging::StepResult;
using runtime::pg::Tx;

// Applies `change` to the order, its events carrying the command's saga and
// trace context (caused by the command).
absl::StatusOr<StepResult> ApplyCommand(Tx& tx, PgStore& store, const std::string& order_id,
                                        const Change& change, const Envelope& command) {
  if (!runtime::ids::IsUuid(order_id)) return StepResult::Refused("UNKNOWN_ORDER");
  absl::StatusOr<ChangeResult> r = store.ApplyIn(
      tx, order_id, change, std::nullopt,
      {command.saga_id(), command.message_id(), command.traceparent()});
  if (absl::IsNotFound(r.status())) return StepResult::Refused("UNKNOWN_ORDER");
  if (absl::IsFailedPrecondition(r.status())) return StepResult::Refused("INVALID_ORDER_STATUS");
  if (!r.ok()) return r.status();
  if (r->changed && r->step.effect == Effect::kSetStatus) {
    GetMetrics().status_changes.Add({{"to", StatusName(r->step.status)}}).Increment();
  }
  return StepResult::Ok();
}

}  // namespace

void RegisterSagaCommands(runtime::messaging::CommandHandler& handler, PgStore& store) {
  handler.On<saga::ApproveOrderCommand>(
      [&store](Tx& tx, const saga::ApproveOrderCommand& command,
               const Envelope& envelope) -> absl::StatusOr<StepResult> {
        return ApplyCommand(tx, store, command.order_id(), {Event::kApprove}, envelope);
      });
  handler.On<saga::RejectOrderCommand>(
      [&store](Tx& tx, const saga::RejectOrderCommand& command,
               const Envelope& envelope) -> absl::StatusOr<StepResult> {
        absl::StatusOr<RejectionReason> reason = ReasonFromProto(command.reason());
        if (!reason.ok()) return StepResult::Refused("INVALID_REASON");
        return ApplyCommand(tx, store, command.order_id(), {Event::kReject, *reason}, envelope);
      });
  handler.On<saga::MarkCancelledCommand>(
      [&store](Tx& tx, const saga::MarkCancelledCommand& command,
               const Envelope& envelope) -> absl::StatusOr<StepResult> {
        return ApplyCommand(tx, store, command.order_id(), {Event::kMarkCancelled}, envelope);
      });
}

}  // namespace agora::orders
