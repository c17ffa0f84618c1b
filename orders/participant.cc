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

// The answer to a change's outcome: refusals for an unknown order or a
// status that does not allow it; other errors are faults.
absl::StatusOr<StepResult> ResultOf(const absl::StatusOr<ChangeResult>& r) {
  if (absl::IsNotFound(r.status())) return StepResult::Refused("UNKNOWN_ORDER");
  if (absl::IsFailedPrecondition(r.status())) return StepResult::Refused("INVALID_ORDER_STATUS");
  if (!r.ok()) return r.status();
  if (r->changed && r->step.effect == Effect::kSetStatus) {
    GetMetrics().status_changes.Add({{"to", StatusName(r->step.status)}}).Increment();
  }
  return StepResult::Ok();
}

// Applies `change` to the order, its events carrying the command's saga and
// trace context (caused by the command).
absl::StatusOr<StepResult> ApplyCommand(Tx& tx, PgStore& store, const std::string& order_id,
                                        const Change& change, const Envelope& command) {
  if (!runtime::ids::IsUuid(order_id)) return StepResult::Refused("UNKNOWN_ORDER");
  return ResultOf(store.ApplyIn(tx, order_id, change, std::nullopt,
                                {command.saga_id(), command.message_id(), command.traceparent()}));
}

}  // namespace

void RegisterSagaCommands(runtime::messaging::CommandHandler& handler, PgStore& store) {
  // A batch's consecutive approvals at once (set-based: a few statements for
  // all of them), each answered as if applied alone, in order.
  handler.OnBatch<saga::ApproveOrderCommand>(
      [&store](Tx& tx, const std::vector<saga::ApproveOrderCommand>& commands,
               const std::vector<const Envelope*>& envelopes) -> absl::StatusOr<std::vector<StepResult>> {
        std::vector<StepResult> results(commands.size(), StepResult::Refused("UNKNOWN_ORDER"));
        std::vector<PgStore::BatchChange> changes;
        std::vector<size_t> index;
        for (size_t i = 0; i < commands.size(); ++i) {
          if (!runtime::ids::IsUuid(commands[i].order_id())) continue;
          const Envelope& e = *envelopes[i];
          changes.push_back({commands[i].order_id(), {Event::kApprove}, {e.saga_id(), e.message_id(), e.traceparent()}});
          index.push_back(i);
        }
        std::vector<absl::StatusOr<ChangeResult>> applied = store.ApplyBatchIn(tx, changes);
        for (size_t k = 0; k < applied.size(); ++k) {
          absl::StatusOr<StepResult> result = ResultOf(applied[k]);
          if (!result.ok()) return result.status();
          results[index[k]] = *result;
        }
        return results;
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
