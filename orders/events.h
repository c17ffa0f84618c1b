#pragma once

// The events orders publishes on agora.orders.events, keyed by order id
// (agora/saga/v1/messages.proto), as outbox messages for the transaction
// that makes the change.

#include "orders/order.h"
#include "runtime/messaging/outbox.h"

namespace agora::orders {

inline constexpr char kEventsTopic[] = "agora.orders.events";

// A new PENDING order: the coordinator starts its saga.
runtime::messaging::OutboxMessage OrderCreatedMessage(
    const Order& order, const runtime::messaging::EnvelopeContext& context);
// The order's new status (with its customer and lines, for reviews).
runtime::messaging::OutboxMessage StatusChangedMessage(
    const Order& order, const runtime::messaging::EnvelopeContext& context);
// A customer's cancel of a PENDING or (now) CANCELLING order.
runtime::messaging::OutboxMessage CancelRequestedMessage(
    const Order& order, const runtime::messaging::EnvelopeContext& context);

}  // namespace agora::orders
