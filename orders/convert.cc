#include "orders/convert.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"

namespace agora::orders {
namespace {

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

}  // namespace

pb::OrderStatus ToProto(Status s) {
  switch (s) {
    case Status::kPending: return pb::PENDING;
    case Status::kApproved: return pb::APPROVED;
    case Status::kRejected: return pb::REJECTED;
    case Status::kCancelling: return pb::CANCELLING;
    case Status::kCancelled: return pb::CANCELLED;
    case Status::kShipped: return pb::SHIPPED;
  }
  return pb::ORDER_STATUS_UNSPECIFIED;
}

pb::RejectionReason ToProto(RejectionReason r) {
  switch (r) {
    case RejectionReason::kNone: return pb::REJECTION_REASON_UNSPECIFIED;
    case RejectionReason::kOutOfStock: return pb::OUT_OF_STOCK;
    case RejectionReason::kInsufficientFunds: return pb::INSUFFICIENT_FUNDS;
    case RejectionReason::kProductUnavailable: return pb::PRODUCT_UNAVAILABLE;
    case RejectionReason::kCancelledByCustomer: return pb::CANCELLED_BY_CUSTOMER;
    case RejectionReason::kTimedOut: return pb::TIMED_OUT;
    case RejectionReason::kAbortedByOperator: return pb::ABORTED_BY_OPERATOR;
  }
  return pb::REJECTION_REASON_UNSPECIFIED;
}

void ToProto(const Order& order, pb::Order* out) {
  out->Clear();
  out->set_id(order.id);
  out->set_customer_id(order.customer_id);
  out->set_status(ToProto(order.status));
  for (const Line& line : order.lines) {
    pb::OrderItem* item = out->add_items();
    item->set_product_id(line.product_id);
    item->set_quantity(static_cast<int32_t>(line.quantity));
    item->set_unit_price_cents(line.unit_price_cents);
  }
  out->set_total_cents(order.total_cents);
  if (order.rejection_reason != RejectionReason::kNone) {
    out->set_rejection_reason(ToProto(order.rejection_reason));
  }
  *out->mutable_created_at() = ToTimestamp(order.created_at);
  *out->mutable_updated_at() = ToTimestamp(order.updated_at);
}

absl::StatusOr<Order> FromProto(const pb::Order& in) {
  Order order;
  order.id = in.id();
  order.customer_id = in.customer_id();
  const std::optional<Status> status = StatusFromName(pb::OrderStatus_Name(in.status()));
  if (!status.has_value()) return absl::InternalError("stored order has no status");
  order.status = *status;
  if (in.has_rejection_reason()) {
    order.rejection_reason =
        ReasonFromName(pb::RejectionReason_Name(in.rejection_reason())).value_or(RejectionReason::kNone);
  }
  for (const pb::OrderItem& item : in.items()) {
    order.lines.push_back(Line{item.product_id(), item.quantity(), item.unit_price_cents()});
  }
  order.total_cents = in.total_cents();
  order.created_at = absl::FromUnixMicros(google::protobuf::util::TimeUtil::TimestampToMicroseconds(in.created_at()));
  order.updated_at = absl::FromUnixMicros(google::protobuf::util::TimeUtil::TimestampToMicroseconds(in.updated_at()));
  return order;
}

absl::StatusOr<std::optional<Status>> StatusFilterFromProto(int value) {
  if (value == pb::ORDER_STATUS_UNSPECIFIED) return std::optional<Status>();
  if (!pb::OrderStatus_IsValid(value)) {
    return absl::InvalidArgumentError(absl::StrCat("status ", value, " is not an order status"));
  }
  return StatusFromName(pb::OrderStatus_Name(static_cast<pb::OrderStatus>(value)));
}

absl::StatusOr<RejectionReason> ReasonFromProto(int value) {
  if (value == pb::REJECTION_REASON_UNSPECIFIED || !pb::RejectionReason_IsValid(value)) {
    return absl::InvalidArgumentError("reason must be a rejection reason");
  }
  const std::optional<RejectionReason> r =
      ReasonFromName(pb::RejectionReason_Name(static_cast<pb::RejectionReason>(value)));
  if (!r.has_value()) return absl::InvalidArgumentError("reason must be a rejection reason");
  return *r;
}

}  // namespace agora::orders
