#pragma once

// Customers' part in the order saga: DebitBalance and RefundBalance from
// agora.saga.commands.customers, through the runtime's CommandHandler
// (inbox, effect, reply in one transaction), on the same store code as the
// INTERNAL gRPC methods (PgStore::DebitIn / RefundIn).
//
// Replies: DebitBalance succeeds (with the balance after it), or is refused
// with INSUFFICIENT_FUNDS, REFUNDED (a tombstone: the order was refunded
// first), UNKNOWN_CUSTOMER, INVALID_AMOUNT (negative; 0 is a free order) or INVALID_LINES.
// RefundBalance succeeds whatever happened before (PgStore::RefundIn says
// why it cannot fail), but for a command naming another customer than the
// payer: PAYER_MISMATCH, nothing moved.

#include "customers/pg_store.h"
#include "runtime/messaging/command_handler.h"

namespace agora::customers {

// Registers both effects on `handler`; `store` is borrowed and must outlive it.
void RegisterSagaCommands(runtime::messaging::CommandHandler& handler, PgStore& store);

}  // namespace agora::customers
