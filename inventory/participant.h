#pragma once

// Inventory's part in the order saga: ReserveStock and ReleaseStock from
// agora.saga.commands.inventory, through the runtime's CommandHandler (inbox,
// effect, reply in one transaction), on the same store code as the INTERNAL
// gRPC methods (PgStore::ReserveIn / ReleaseIn).
//
// Replies: ReserveStock succeeds, or is refused with OUT_OF_STOCK,
// PRODUCT_UNAVAILABLE, RELEASED (the order's stock was already released: a
// tombstone) or INVALID_LINES (no lines, too many, a malformed product id or
// quantity, a product twice, a malformed order id). ReleaseStock always
// succeeds (PgStore::ReleaseIn says why it cannot fail).

#include "inventory/pg_store.h"
#include "runtime/messaging/command_handler.h"

namespace agora::inventory {

// Registers both effects on `handler`; `store` is borrowed and must outlive it.
void RegisterSagaCommands(runtime::messaging::CommandHandler& handler, PgStore& store);

}  // namespace agora::inventory
