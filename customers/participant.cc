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
  // A batch's consecutive debits at once (set-based: a few statements for
  // all of them), each answered as if applied alone, in order.
  handler.OnBatch<saga::DebitBalanceCommand>(
      [&store](Tx& tx, const std::vector<saga::DebitBalanceCommand>& commands,
               const std::vector<const runtime::messaging::Envelope*>&) -> absl::StatusOr<std::vector<StepResult>> {
        std::vector<StepResult> results(commands.size());
        std::vector<DebitRequest> valid;
        std::vector<size_t> index;  // of each valid command
        for (size_t i = 0; i < commands.size(); ++i) {
          const saga::DebitBalanceCommand& command = commands[i];
          DebitRequest debit{command.order_id(), command.customer_id(), command.amount_cents(),
                             command.from_cart(), {}};
          for (const saga::StockLine& l : command.lines()) {
            // Quantities beyond an int are refused by NormaliseDebit's range.
            const int quantity = l.quantity() > 1000 || l.quantity() < 0 ? 0 : static_cast<int>(l.quantity());
            debit.cart_lines.push_back({l.product_id(), quantity});
          }
          if (!runtime::ids::IsUuid(command.customer_id())) {
            results[i] = StepResult::Refused("UNKNOWN_CUSTOMER");
          } else if (command.amount_cents() < 0) {
            // 0 is a free order (products may cost 0): debited, no ledger row.
            results[i] = StepResult::Refused("INVALID_AMOUNT");
          } else if (!NormaliseDebit(&debit).ok()) {
            results[i] = StepResult::Refused("INVALID_LINES");
          } else {
            valid.push_back(std::move(debit));
            index.push_back(i);
          }
        }
        const std::vector<DebitResult> debited = store.DebitBatchIn(tx, valid);
        for (size_t k = 0; k < debited.size(); ++k) {
          StepResult& result = results[index[k]];
          switch (debited[k].outcome) {
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
              result = StepResult::Refused("UNKNOWN_CUSTOMER");
              continue;  // no balance to tell
          }
          result.balance_cents = debited[k].balance_cents;
        }
        return results;
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
