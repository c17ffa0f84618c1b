#pragma once

// Domain <-> proto: the API's Order and enums (agora/orders/v1). Enum names
// are the same on both sides.

#include <optional>

#include "absl/status/statusor.h"
#include "agora/orders/v1/orders.pb.h"
#include "orders/order.h"

namespace agora::orders {

namespace pb = agora::orders::v1;

pb::OrderStatus ToProto(Status s);
pb::RejectionReason ToProto(RejectionReason r);
void ToProto(const Order& order, pb::Order* out);
// The reverse, for an answer stored as a pb::Order (from_cart and
// cancel_requested are not part of it and come back false).
absl::StatusOr<Order> FromProto(const pb::Order& order);

// A ListOrders filter: UNSPECIFIED -> none; an unknown number -> INVALID_ARGUMENT.
absl::StatusOr<std::optional<Status>> StatusFilterFromProto(int value);
// A RejectOrder reason: UNSPECIFIED or unknown -> INVALID_ARGUMENT.
absl::StatusOr<RejectionReason> ReasonFromProto(int value);

}  // namespace agora::orders
