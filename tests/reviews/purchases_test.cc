// The translation of order events into purchase updates (purchases.h),
// without a database or a broker.

#include "reviews/purchases.h"

#include <catch2/catch.hpp>

#include "agora/saga/v1/messages.pb.h"
#include "runtime/ids/uuid.h"
#include "tests/reviews/fixtures.h"

namespace agora::reviews {
namespace {

using runtime::ids::NewUuid;
using testing::OrderCreated;
using testing::StatusChanged;
namespace orders = agora::orders::v1;

TEST_CASE("an OrderStatusChanged event names the order's products and its new state", "[unit]") {
  const std::string order = NewUuid();
  const std::string customer = NewUuid();
  const std::string p1 = NewUuid();
  const std::string p2 = NewUuid();
  const std::pair<orders::OrderStatus, OrderState> cases[] = {
      {orders::PENDING, OrderState::kPending},     {orders::APPROVED, OrderState::kApproved},
      {orders::REJECTED, OrderState::kRejected},   {orders::CANCELLING, OrderState::kCancelling},
      {orders::CANCELLED, OrderState::kCancelled}, {orders::SHIPPED, OrderState::kShipped}};
  for (const auto& [status, state] : cases) {
    auto update = PurchaseUpdateOf(StatusChanged(order, customer, status, {p2, p1, p2}));
    REQUIRE(update.ok());
    REQUIRE(update->has_value());
    CHECK((*update)->order_id == order);
    CHECK((*update)->customer_id == customer);
    CHECK((*update)->state == state);
    CHECK((*update)->product_ids ==
          (p1 < p2 ? std::vector<std::string>{p1, p2} : std::vector<std::string>{p2, p1}));
  }
}

TEST_CASE("an OrderCreated event records its lines as a PENDING purchase", "[unit]") {
  const std::string product = NewUuid();
  auto update = PurchaseUpdateOf(OrderCreated(NewUuid(), NewUuid(), {product}));
  REQUIRE(update.ok());
  REQUIRE(update->has_value());
  CHECK((*update)->state == OrderState::kPending);
  CHECK((*update)->product_ids == std::vector<std::string>{product});
}

TEST_CASE("an event of a type reviews does not read is ignored", "[unit]") {
  agora::saga::v1::OrderCancelRequested cancel;
  cancel.set_order_id(NewUuid());
  auto update = PurchaseUpdateOf(runtime::messaging::Wrap(cancel));
  REQUIRE(update.ok());
  CHECK_FALSE(update->has_value());
}

TEST_CASE("an unreadable order event is INVALID_ARGUMENT", "[unit]") {
  // A payload that does not parse as the type it claims.
  runtime::messaging::Envelope garbled = StatusChanged(NewUuid(), NewUuid(), orders::APPROVED, {});
  garbled.set_payload("\xff\xff\xff");
  CHECK(PurchaseUpdateOf(garbled).status().code() == absl::StatusCode::kInvalidArgument);
  // No status, a malformed order id, a malformed product id.
  CHECK(PurchaseUpdateOf(
            StatusChanged(NewUuid(), NewUuid(), orders::ORDER_STATUS_UNSPECIFIED, {NewUuid()}))
            .status()
            .code() == absl::StatusCode::kInvalidArgument);
  CHECK(PurchaseUpdateOf(StatusChanged("order-1", NewUuid(), orders::APPROVED, {NewUuid()}))
            .status()
            .code() == absl::StatusCode::kInvalidArgument);
  CHECK(PurchaseUpdateOf(StatusChanged(NewUuid(), NewUuid(), orders::APPROVED, {"mug"}))
            .status()
            .code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace agora::reviews
