// The order-event handler (purchases.h) through the real store, inbox and
// PostgreSQL: what each event does to the right to review.

#include <catch2/catch.hpp>
#include <string>

#include "agora/saga/v1/messages.pb.h"
#include "reviews/purchases.h"
#include "runtime/ids/uuid.h"
#include "tests/reviews/fixtures.h"

namespace agora::reviews {
namespace {

using runtime::ids::NewUuid;
using testing::OrderCreated;
using testing::StatusChanged;
namespace orders = agora::orders::v1;

class Fixture : public testing::StoreFixture {
 public:
  // What the store answers to a review by `customer` of `product`.
  absl::StatusCode Review(const std::string& customer, const std::string& product) {
    return store().CreateReview(NewReview{product, customer, "Name", 4, ""}, {}).status().code();
  }
  bool MayReview(const std::string& customer, const std::string& product) {
    return Count(absl::StrCat("SELECT count(*) FROM reviews.purchases WHERE customer_id = '",
                              customer, "' AND product_id = '", product, "' AND grants_review")) >
           0;
  }
  std::string Purchases() {
    return Query(
        "SELECT string_agg(concat_ws('/', order_id, product_id, customer_id, state, updated_at), "
        "',' ORDER BY order_id, product_id) FROM reviews.purchases");
  }
  int64_t Inbox() { return Count("SELECT count(*) FROM reviews.inbox"); }
};

TEST_CASE("a duplicate order event changes nothing", "[pg]") {
  Fixture f;
  const std::string customer = NewUuid();
  const std::string product = NewUuid();
  const std::string order = NewUuid();
  const auto approved = StatusChanged(order, customer, orders::APPROVED, {product});
  REQUIRE(f.Deliver(approved).ok());
  const std::string before = f.Purchases();
  CHECK_FALSE(before.empty());
  REQUIRE(f.Deliver(approved).ok());
  CHECK(f.Purchases() == before);
  CHECK(f.Inbox() == 1);

  // The inbox recognises a redelivery by its message id alone: even a
  // payload that would take the right away is not applied twice.
  auto replay = StatusChanged(order, customer, orders::CANCELLED, {product});
  replay.set_message_id(approved.message_id());
  REQUIRE(f.Deliver(replay).ok());
  CHECK(f.Purchases() == before);
  CHECK(f.MayReview(customer, product));
  CHECK(f.Inbox() == 1);
}

TEST_CASE("a batch of order events is applied in order in one transaction, each id once; an unreadable "
          "one ends the batch",
          "[pg]") {
  Fixture f;
  const std::string customer = NewUuid();
  const std::string product = NewUuid();
  const std::string order = NewUuid();
  const auto created = OrderCreated(order, customer, {product});
  const auto approved = StatusChanged(order, customer, orders::APPROVED, {product});
  auto cancelled_replay = StatusChanged(order, customer, orders::CANCELLED, {product});
  cancelled_replay.set_message_id(approved.message_id());  // a redelivery of the approval, by id
  auto message = [](const runtime::messaging::Envelope& e) {
    runtime::kafka::IncomingMessage m;
    m.value = e.SerializeAsString();
    return m;
  };
  runtime::kafka::IncomingMessage garbage;
  garbage.value = "not an envelope";
  const runtime::kafka::BatchResult r =
      HandleOrderEvents({message(created), message(approved), message(approved), message(cancelled_replay), garbage,
                         message(StatusChanged(order, customer, orders::CANCELLED, {product}))},
                        f.store());
  // Four handled (the approval once), the garbage stops the batch before the real cancel.
  CHECK(r.handled == 4);
  CHECK(r.status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(f.Inbox() == 2);
  CHECK(f.MayReview(customer, product));
  // The garbage first: nothing handled, the consumer dead-letters it.
  const runtime::kafka::BatchResult again = HandleOrderEvents({garbage}, f.store());
  CHECK(again.handled == 0);
  CHECK(again.status.code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("a CANCELLED order removes the right it gave, and only that order's", "[pg]") {
  Fixture f;
  const std::string customer = NewUuid();
  const std::string mug = NewUuid();
  const std::string teapot = NewUuid();
  const std::string order = NewUuid();
  REQUIRE(f.Deliver(StatusChanged(order, customer, orders::APPROVED, {mug, teapot})).ok());
  CHECK(f.MayReview(customer, mug));
  CHECK(f.MayReview(customer, teapot));
  // A cancellation event without lines still reaches every product of the order.
  REQUIRE(f.Deliver(StatusChanged(order, customer, orders::CANCELLED, {})).ok());
  CHECK(f.Review(customer, mug) == absl::StatusCode::kFailedPrecondition);
  CHECK(f.Review(customer, teapot) == absl::StatusCode::kFailedPrecondition);

  // A second order of the mug still gives the right after the first is cancelled.
  const std::string second = NewUuid();
  REQUIRE(f.Deliver(StatusChanged(second, customer, orders::SHIPPED, {mug})).ok());
  REQUIRE(f.Deliver(StatusChanged(NewUuid(), customer, orders::REJECTED, {mug})).ok());
  CHECK(f.Review(customer, mug) == absl::StatusCode::kOk);
  CHECK(f.Count("SELECT count(*) FROM reviews.purchases") == 4);
}

TEST_CASE("a REJECTED order never gives the right to review", "[pg]") {
  Fixture f;
  const std::string customer = NewUuid();
  const std::string product = NewUuid();
  const std::string order = NewUuid();
  REQUIRE(f.Deliver(OrderCreated(order, customer, {product})).ok());
  REQUIRE(f.Deliver(StatusChanged(order, customer, orders::REJECTED, {product})).ok());
  CHECK(f.Review(customer, product) == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("events arriving late never revive a right that a cancellation took away", "[pg]") {
  Fixture f;
  const std::string customer = NewUuid();
  const std::string product = NewUuid();
  const std::string order = NewUuid();
  REQUIRE(f.Deliver(StatusChanged(order, customer, orders::CANCELLED, {product})).ok());
  REQUIRE(f.Deliver(StatusChanged(order, customer, orders::APPROVED, {product})).ok());
  REQUIRE(f.Deliver(OrderCreated(order, customer, {product})).ok());
  CHECK_FALSE(f.MayReview(customer, product));
  CHECK(f.Query("SELECT state FROM reviews.purchases") == "CANCELLED");

  // A late OrderCreated does not undo an approval either.
  const std::string other = NewUuid();
  REQUIRE(f.Deliver(StatusChanged(other, customer, orders::SHIPPED, {product})).ok());
  REQUIRE(f.Deliver(OrderCreated(other, customer, {product})).ok());
  CHECK(f.MayReview(customer, product));
}

TEST_CASE("OrderCreated records a PENDING purchase that an approval without lines completes",
          "[pg]") {
  Fixture f;
  const std::string customer = NewUuid();
  const std::string product = NewUuid();
  const std::string order = NewUuid();
  REQUIRE(f.Deliver(OrderCreated(order, customer, {product})).ok());
  CHECK(f.Query("SELECT state FROM reviews.purchases") == "PENDING");
  CHECK(f.Review(customer, product) == absl::StatusCode::kFailedPrecondition);
  REQUIRE(f.Deliver(StatusChanged(order, "", orders::APPROVED, {})).ok());
  CHECK(f.Review(customer, product) == absl::StatusCode::kOk);
}

TEST_CASE("one batch ends each purchase as its events applied one by one would, whatever their order", "[pg]") {
  Fixture f;
  const std::string customer = NewUuid();
  const std::string p1 = NewUuid();
  const std::string p2 = NewUuid();
  const std::string early = NewUuid();  // approved, lines named by the creation after it
  const std::string later = NewUuid();  // its second product named after the approval
  const std::string cancelled = NewUuid();
  REQUIRE(f.Deliver(OrderCreated(cancelled, customer, {p1})).ok());  // a row from an earlier batch
  auto message = [](const runtime::messaging::Envelope& e) {
    runtime::kafka::IncomingMessage m;
    m.value = e.SerializeAsString();
    return m;
  };
  const runtime::kafka::BatchResult r = HandleOrderEvents(
      {message(StatusChanged(early, "", orders::APPROVED, {})), message(OrderCreated(early, customer, {p1})),
       message(OrderCreated(later, customer, {p1})), message(StatusChanged(later, customer, orders::APPROVED, {p1})),
       message(StatusChanged(later, customer, orders::SHIPPED, {p2})),
       message(StatusChanged(cancelled, customer, orders::APPROVED, {p2})),
       message(StatusChanged(cancelled, "", orders::CANCELLED, {}))},
      f.store());
  REQUIRE(r.status.ok());
  CHECK(r.handled == 7);
  auto state = [&f](const std::string& order, const std::string& product) {
    return f.Query("SELECT state FROM reviews.purchases WHERE order_id = '" + order + "' AND product_id = '" +
                   product + "'");
  };
  CHECK(state(early, p1) == "PENDING");  // the approval came before the row existed
  CHECK(state(later, p1) == "SHIPPED");
  CHECK(state(later, p2) == "SHIPPED");
  CHECK(state(cancelled, p1) == "CANCELLED");  // existed before the batch
  CHECK(state(cancelled, p2) == "CANCELLED");  // named by the approval, then cancelled
  CHECK(f.Query("SELECT grants_review FROM reviews.purchases WHERE order_id = '" + later + "' AND product_id = '" +
                p2 + "'") == "t");
}

TEST_CASE("an unknown event type is ignored; an unreadable message is INVALID_ARGUMENT", "[pg]") {
  Fixture f;
  agora::saga::v1::OrderCancelRequested cancel;
  cancel.set_order_id(NewUuid());
  CHECK(f.Deliver(runtime::messaging::Wrap(cancel)).ok());
  CHECK(HandleOrderEvent("not an envelope", f.store()).code() ==
        absl::StatusCode::kInvalidArgument);
  auto garbled = StatusChanged(NewUuid(), NewUuid(), orders::APPROVED, {NewUuid()});
  garbled.set_payload("\xff\xff\xff");
  CHECK(f.Deliver(garbled).code() == absl::StatusCode::kInvalidArgument);
  CHECK(f.Deliver(StatusChanged("order-1", NewUuid(), orders::APPROVED, {NewUuid()})).code() ==
        absl::StatusCode::kInvalidArgument);
  // Nothing was recorded: a dead letter may be fixed and replayed.
  CHECK(f.Inbox() == 0);
  CHECK(f.Count("SELECT count(*) FROM reviews.purchases") == 0);
}

}  // namespace
}  // namespace agora::reviews
