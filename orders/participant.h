#pragma once

// Orders' part in the order saga: ApproveOrder, RejectOrder and
// MarkCancelled from agora.saga.commands.orders, through the runtime's
// CommandHandler (inbox, effect, reply in one transaction), on the same
// store code as the INTERNAL gRPC methods (PgStore::ApplyIn: the one status
// machine, the order's events in the same transaction).
//
// Replies: success when the order is (now, or already) in the status the
// command asks for; refused with UNKNOWN_ORDER, INVALID_ORDER_STATUS (the
// status machine refuses it, e.g. approving a REJECTED order) or
// INVALID_REASON (a RejectOrder without a known reason).

#include "orders/pg_store.h"
#include "runtime/messaging/command_handler.h"

namespace agora::orders {

// Registers the three effects on `handler`; `store` is borrowed and must
// outlive it.
void RegisterSagaCommands(runtime::messaging::CommandHandler& handler, PgStore& store);

}  // namespace agora::orders
