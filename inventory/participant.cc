#include "inventory/participant.h"

#include "agora/saga/v1/messages.pb.h"
#include "inventory/metrics.h"
#include "runtime/ids/uuid.h"

namespace agora::inventory {
namespace {

namespace saga = agora::saga::v1;
using runtime::messaging::StepResult;
using runtime::pg::Tx;

const char* RefusalOf(ReserveOutcome outcome) {
  switch (outcome) {
    case ReserveOutcome::kOutOfStock:
      return "OUT_OF_STOCK";
    case ReserveOutcome::kProductUnavailable:
      return "PRODUCT_UNAVAILABLE";
    case ReserveOutcome::kReleased:
    case ReserveOutcome::kReserved:
      break;
  }
  return "RELEASED";
}

}  // namespace

void RegisterSagaCommands(runtime::messaging::CommandHandler& handler, PgStore& store) {
  handler.On<saga::ReserveStockCommand>(
      [&store](Tx& tx, const saga::ReserveStockCommand& command, const runtime::messaging::Envelope&) -> absl::StatusOr<StepResult> {
        std::vector<StockLine> lines;
        for (const saga::StockLine& l : command.lines()) lines.push_back({l.product_id(), l.quantity()});
        absl::StatusOr<std::vector<StockLine>> normalised =
            NormaliseReservation(command.order_id(), std::move(lines));
        if (!normalised.ok()) return StepResult::Refused("INVALID_LINES");
        const ReserveResult result = store.ReserveIn(tx, command.order_id(), *normalised);
        if (result.outcome == ReserveOutcome::kReserved) return StepResult::Ok();
        return StepResult::Refused(RefusalOf(result.outcome));
      });
  handler.On<saga::ReleaseStockCommand>(
      [&store](Tx& tx, const saga::ReleaseStockCommand& command, const runtime::messaging::Envelope&) -> absl::StatusOr<StepResult> {
        // A malformed order id never reserved anything: nothing to give back.
        if (runtime::ids::IsUuid(command.order_id())) store.ReleaseIn(tx, command.order_id());
        return StepResult::Ok();
      });
}

}  // namespace agora::inventory
