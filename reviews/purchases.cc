#include "reviews/purchases.h"

#include <utility>

#include "agora/saga/v1/messages.pb.h"
#include "reviews/metrics.h"

namespace agora::reviews {
namespace {

namespace saga = agora::saga::v1;
namespace orders = agora::orders::v1;

absl::StatusOr<OrderState> StateOf(orders::OrderStatus status) {
  switch (status) {
    case orders::PENDING:
      return OrderState::kPending;
    case orders::APPROVED:
      return OrderState::kApproved;
    case orders::REJECTED:
      return OrderState::kRejected;
    case orders::CANCELLING:
      return OrderState::kCancelling;
    case orders::CANCELLED:
      return OrderState::kCancelled;
    case orders::SHIPPED:
      return OrderState::kShipped;
    default:
      return absl::InvalidArgumentError("status is not a known order status");
  }
}

template <typename Lines>
PurchaseUpdate UpdateOf(const std::string& order_id, const std::string& customer_id,
                        OrderState state, const Lines& lines) {
  PurchaseUpdate update{order_id, customer_id, state, {}};
  for (const auto& line : lines) update.product_ids.push_back(line.product_id());
  return update;
}

}  // namespace

absl::StatusOr<std::optional<PurchaseUpdate>> PurchaseUpdateOf(
    const runtime::messaging::Envelope& envelope) {
  PurchaseUpdate update;
  if (envelope.type() == saga::OrderCreated::descriptor()->full_name()) {
    saga::OrderCreated event;
    if (absl::Status s = runtime::messaging::Unwrap(envelope, &event); !s.ok()) return s;
    update = UpdateOf(event.order_id(), event.customer_id(), OrderState::kPending, event.lines());
  } else if (envelope.type() == saga::OrderStatusChanged::descriptor()->full_name()) {
    saga::OrderStatusChanged event;
    if (absl::Status s = runtime::messaging::Unwrap(envelope, &event); !s.ok()) return s;
    absl::StatusOr<OrderState> state = StateOf(event.status());
    if (!state.ok()) return state.status();
    update = UpdateOf(event.order_id(), event.customer_id(), *state, event.lines());
  } else {
    return std::nullopt;
  }
  absl::StatusOr<PurchaseUpdate> normalised = NormalisePurchaseUpdate(std::move(update));
  if (!normalised.ok()) return normalised.status();
  return std::optional<PurchaseUpdate>(*std::move(normalised));
}

absl::Status HandleOrderEvent(const std::string& value, Store& store) {
  absl::StatusOr<runtime::messaging::Envelope> envelope = runtime::messaging::ParseEnvelope(value);
  if (!envelope.ok()) return envelope.status();
  absl::StatusOr<std::optional<PurchaseUpdate>> update = PurchaseUpdateOf(*envelope);
  if (!update.ok()) return update.status();
  if (update->has_value()) {
    absl::StatusOr<bool> applied = store.ApplyPurchaseUpdate(envelope->message_id(), **update);
    if (!applied.ok()) return applied.status();
  }
  CountEventHandled(envelope->type());
  return absl::OkStatus();
}

runtime::kafka::BatchResult HandleOrderEvents(const std::vector<runtime::kafka::IncomingMessage>& batch,
                                              Store& store) {
  std::vector<std::pair<std::string, PurchaseUpdate>> updates;
  std::vector<std::string> types;
  absl::Status unreadable;
  size_t readable = 0;
  for (const runtime::kafka::IncomingMessage& m : batch) {
    absl::StatusOr<runtime::messaging::Envelope> envelope = runtime::messaging::ParseEnvelope(m.value);
    if (!envelope.ok()) {
      unreadable = envelope.status();
      break;
    }
    absl::StatusOr<std::optional<PurchaseUpdate>> update = PurchaseUpdateOf(*envelope);
    if (!update.ok()) {
      unreadable = update.status();
      break;
    }
    if (update->has_value()) updates.emplace_back(envelope->message_id(), **update);
    types.push_back(envelope->type());
    ++readable;
  }
  if (readable == 0) return {0, unreadable};  // dead-lettered by the consumer
  if (absl::StatusOr<int> applied = store.ApplyPurchaseUpdates(updates); !applied.ok()) {
    return {0, applied.status()};
  }
  for (const std::string& type : types) CountEventHandled(type);
  return {readable, unreadable};
}

absl::StatusOr<std::unique_ptr<runtime::kafka::Consumer>> StartPurchaseConsumer(
    const runtime::kafka::KafkaOptions& kafka, const std::string& topic, const std::string& group,
    Store& store, runtime::kafka::Producer* dlq) {
  runtime::kafka::ConsumerOptions options;
  options.kafka = kafka;
  options.group_id = group;
  options.topics = {topic};
  return runtime::kafka::StartBatchConsumer(
      options,
      [&store](const std::vector<runtime::kafka::IncomingMessage>& batch) {
        return HandleOrderEvents(batch, store);
      },
      dlq);
}

}  // namespace agora::reviews
