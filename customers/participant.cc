#include "customers/participant.h"

#include "agora/saga/v1/messages.pb.h"
#include "runtime/ids/uuid.h"

namespace agora::customers {
namespace {

namespace saga = agora::saga::v1;
using runtime::messaging::StepResult;
using runtime::pg::Tx;

}  // namespace

void RegisterSagaCommands(runtime::messaging::CommandHandler& handler, PgStore& store) {
  // Every customer the batch will touch, locked first in id order.
  handler.BeforeBatch([&store](Tx& tx, const std::vector<runtime::messaging::Envelope>& batch) {
    std::vector<std::string> ids;
    for (const runtime::messaging::Envelope& e : batch) {
      if (e.type() == saga::DebitBalanceCommand::descriptor()->full_name()) {
        saga::DebitBalanceCommand c;
        if (runtime::messaging::Unwrap(e, &c).ok() && runtime::ids::IsUuid(c.customer_id())) {
          ids.push_back(c.customer_id());
        }
      } else if (e.type() == saga::RefundBalanceCommand::descriptor()->full_name()) {
        saga::RefundBalanceCommand c;
        if (runtime::messaging::Unwrap(e, &c).ok() && runtime::ids::IsUuid(c.customer_id())) {
          ids.push_back(c.customer_id());
        }
      }
    }
    store.LockCustomers(tx, ids);
  });
  handler.On<saga::DebitBalanceCommand>(
      [&store](Tx& tx, const saga::DebitBalanceCommand& command, const runtime::messaging::Envelope&) -> absl::StatusOr<StepResult> {
        DebitRequest debit{command.order_id(), command.customer_id(), command.amount_cents(),
                           command.from_cart(), {}};
        for (const saga::StockLine& l : command.lines()) {
          // Quantities beyond an int are refused by NormaliseDebit's range.
          const int quantity = l.quantity() > 1000 || l.quantity() < 0 ? 0 : static_cast<int>(l.quantity());
          debit.cart_lines.push_back({l.product_id(), quantity});
        }
        if (!runtime::ids::IsUuid(command.customer_id())) return StepResult::Refused("UNKNOWN_CUSTOMER");
        if (command.amount_cents() <= 0) return StepResult::Refused("INVALID_AMOUNT");
        if (!NormaliseDebit(&debit).ok()) return StepResult::Refused("INVALID_LINES");
        const DebitResult r = store.DebitIn(tx, debit);
        StepResult result;
        switch (r.outcome) {
          case DebitOutcome::kDebited:
            result = StepResult::Ok();
            break;
          case DebitOutcome::kInsufficientFunds:
            result = StepResult::Refused("INSUFFICIENT_FUNDS");
            break;
          case DebitOutcome::kRefunded:
            result = StepResult::Refused("REFUNDED");
            break;
          case DebitOutcome::kUnknownCustomer:
            return StepResult::Refused("UNKNOWN_CUSTOMER");
        }
        result.balance_cents = r.balance_cents;
        return result;
      });
  handler.On<saga::RefundBalanceCommand>(
      [&store](Tx& tx, const saga::RefundBalanceCommand& command, const runtime::messaging::Envelope&) -> absl::StatusOr<StepResult> {
        // A malformed order id was never debited: nothing to give back.
        if (!runtime::ids::IsUuid(command.order_id())) return StepResult::Ok();
        if (!runtime::ids::IsUuid(command.customer_id())) return StepResult::Refused("PAYER_MISMATCH");
        const RefundResult r =
            store.RefundIn(tx, command.order_id(), command.customer_id(), command.restore_cart());
        if (r.payer_mismatch) return StepResult::Refused("PAYER_MISMATCH");
        StepResult result = StepResult::Ok();
        result.balance_cents = r.balance_cents;
        return result;
      });
}

}  // namespace agora::customers
