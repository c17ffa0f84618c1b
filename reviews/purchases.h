#pragma once

// Verified purchases from the order events: a pure translation from an
// envelope to a PurchaseUpdate, the handler that applies it through the
// store (inbox and effect in one transaction), and the consumer that feeds
// the handler from Kafka.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "reviews/review.h"
#include "reviews/store.h"
#include "runtime/kafka/consumer.h"
#include "runtime/messaging/envelope.h"

namespace agora::reviews {

inline constexpr char kConsumerGroup[] = "reviews";

// What an order event says about purchases: OrderCreated records PENDING
// lines, OrderStatusChanged the order's new status. nullopt for any other
// type (reviews ignores it). INVALID_ARGUMENT for a payload that does not
// parse, an unset status or malformed ids.
absl::StatusOr<std::optional<PurchaseUpdate>> PurchaseUpdateOf(
    const runtime::messaging::Envelope& envelope);

// Handles one message value of agora.orders.events. OK once applied, for a
// duplicate (the inbox knew its id) and for an ignored type;
// INVALID_ARGUMENT for a message that cannot be read (the consumer
// dead-letters it); the store's errors otherwise (UNAVAILABLE is retried).
absl::Status HandleOrderEvent(const std::string& value, Store& store);

// The consumer's batch handler: the batch's readable events applied in one
// transaction (Store::ApplyPurchaseUpdates); an unreadable one ends the
// batch there, and comes first in the next (then dead-lettered).
runtime::kafka::BatchResult HandleOrderEvents(const std::vector<runtime::kafka::IncomingMessage>& batch,
                                              Store& store);

// Consumes `topic` as `group`, handling each message with HandleOrderEvent
// on `store` (borrowed, must outlive the consumer); `dlq` (borrowed, may be
// null) receives what cannot be handled.
absl::StatusOr<std::unique_ptr<runtime::kafka::Consumer>> StartPurchaseConsumer(
    const runtime::kafka::KafkaOptions& kafka, const std::string& topic, const std::string& group,
    Store& store, runtime::kafka::Producer* dlq);

}  // namespace agora::reviews
