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
  // Every product the batch will touch, locked first in id order.
  handler.BeforeBatch([&store](Tx& tx, const std::vector<runtime::messaging::Envelope>& batch) {
    std::vector<std::string> products;
    std::vector<std::string> releases;
    for (const runtime::messaging::Envelope& e : batch) {
      if (e.type() == saga::ReserveStockCommand::descriptor()->full_name()) {
        saga::ReserveStockCommand c;
        if (!runtime::messaging::Unwrap(e, &c).ok()) continue;
        for (const saga::StockLine& l : c.lines()) {
          if (runtime::ids::IsUuid(l.product_id())) products.push_back(l.product_id());
        }
      } else if (e.type() == saga::ReleaseStockCommand::descriptor()->full_name()) {
        saga::ReleaseStockCommand c;
        if (runtime::messaging::Unwrap(e, &c).ok() && runtime::ids::IsUuid(c.order_id())) {
          releases.push_back(c.order_id());
        }
      }
    }
    store.LockProducts(tx, products, releases);
  });
  // A batch's consecutive reservations at once (set-based: a few statements
  // for all of them), each answered as if applied alone, in order.
  handler.OnBatch<saga::ReserveStockCommand>(
      [&store](Tx& tx, const std::vector<saga::ReserveStockCommand>& commands,
               const std::vector<const runtime::messaging::Envelope*>&) -> absl::StatusOr<std::vector<StepResult>> {
        std::vector<StepResult> results(commands.size(), StepResult::Refused("INVALID_LINES"));
        std::vector<std::pair<std::string, std::vector<StockLine>>> valid;
        std::vector<size_t> index;  // of each valid command
        for (size_t i = 0; i < commands.size(); ++i) {
          std::vector<StockLine> lines;
          for (const saga::StockLine& l : commands[i].lines()) {
            lines.push_back({l.product_id(), l.quantity(), l.on_sale()});
          }
          absl::StatusOr<std::vector<StockLine>> normalised =
              NormaliseReservation(commands[i].order_id(), std::move(lines));
          if (!normalised.ok()) continue;
          valid.emplace_back(commands[i].order_id(), *std::move(normalised));
          index.push_back(i);
        }
        const std::vector<ReserveResult> reserved = store.ReserveBatchIn(tx, valid);
        for (size_t k = 0; k < reserved.size(); ++k) {
          results[index[k]] = reserved[k].outcome == ReserveOutcome::kReserved
                                  ? StepResult::Ok()
                                  : StepResult::Refused(RefusalOf(reserved[k].outcome));
        }
        return results;
      });
  handler.On<saga::ReleaseStockCommand>(
      [&store](Tx& tx, const saga::ReleaseStockCommand& command, const runtime::messaging::Envelope&) -> absl::StatusOr<StepResult> {
        // A malformed order id never reserved anything: nothing to give back.
        if (runtime::ids::IsUuid(command.order_id())) store.ReleaseIn(tx, command.order_id());
        return StepResult::Ok();
      });
}

}  // namespace agora::inventory
