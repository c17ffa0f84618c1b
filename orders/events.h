#pragma once

// The events orders publishes on agora.orders.events, keyed by order id
// (agora/saga/v1/messages.proto), as outbox messages for the transaction
// that makes the change.

#include <string>

#include "orders/order.h"
#include "runtime/messaging/outbox.h"

namespace agora::orders {

// `topic`: runtime::messaging::Topics::OrderEvents() of the configuration.

// A new PENDING order: the coordinator starts its saga.
runtime::messaging::OutboxMessage OrderCreatedMessage(
    const std::string& topic, const Order& order, const runtime::messaging::EnvelopeContext& context);
// The order's new status (with its customer and lines, for reviews).
runtime::messaging::OutboxMessage StatusChangedMessage(
    const std::string& topic, const Order& order, const runtime::messaging::EnvelopeContext& context);
// A customer's cancel of a PENDING or (now) CANCELLING order.
runtime::messaging::OutboxMessage CancelRequestedMessage(
    const std::string& topic, const Order& order, const runtime::messaging::EnvelopeContext& context);

}  // namespace agora::orders
