// Status changes over real gRPC: the saga's methods (idempotent), cancel and
// ship, the events each change writes to the outbox, and concurrent changes
// racing on one order.

#include <catch2/catch.hpp>
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "agora/saga/v1/messages.pb.h"
#include "runtime/ids/uuid.h"
#include "tests/orders/harness.h"

namespace agora::orders::test {
namespace {

namespace saga = agora::saga::v1;
using runtime::ids::NewUuid;

// The OrderStatusChanged events of the order, in outbox order.
std::vector<saga::OrderStatusChanged> StatusChanges(const Harness& h, const std::string& id) {
  std::vector<saga::OrderStatusChanged> out;
  for (const auto& e : h.Outbox(id)) {
    saga::OrderStatusChanged changed;
    if (runtime::messaging::Unwrap(e, &changed).ok()) out.push_back(changed);
  }
  return out;
}

std::vector<saga::OrderCancelRequested> CancelRequests(const Harness& h, const std::string& id) {
  std::vector<saga::OrderCancelRequested> out;
  for (const auto& e : h.Outbox(id)) {
    saga::OrderCancelRequested requested;
    if (runtime::messaging::Unwrap(e, &requested).ok()) out.push_back(requested);
  }
  return out;
}

TEST_CASE("approve is idempotent and publishes one OrderStatusChanged with customer and lines",
          "[pg]") {
  Harness h;
  const std::string alice = NewUuid();
  const std::string p = h.AddProduct(1200);
  const pb::Order order = h.MustCreate(alice, {{p, 2}});
  pb::Order first, again;
  REQUIRE(h.Approve(order.id(), &first).ok());
  CHECK(first.status() == pb::APPROVED);
  CHECK(first.updated_at().seconds() >= order.updated_at().seconds());
  CHECK(first.created_at().SerializeAsString() == order.created_at().SerializeAsString());
  REQUIRE(h.Approve(order.id(), &again).ok());
  CHECK(again.SerializeAsString() == first.SerializeAsString());
  CHECK(h.OutboxTypes(order.id()) ==
        std::vector<std::string>{"OrderCreated", "OrderStatusChanged"});
  const auto changes = StatusChanges(h, order.id());
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].order_id() == order.id());
  CHECK(changes[0].customer_id() == alice);
  CHECK(changes[0].status() == pb::APPROVED);
  REQUIRE(changes[0].lines_size() == 1);
  CHECK(changes[0].lines(0).product_id() == p);
  CHECK(changes[0].lines(0).quantity() == 2);
  CHECK(changes[0].lines(0).unit_price_cents() == 1200);
}

TEST_CASE("reject is idempotent and keeps the first reason", "[pg]") {
  Harness h;
  const pb::Order order = h.MustCreate(NewUuid());
  pb::Order out;
  REQUIRE(h.Reject(order.id(), pb::OUT_OF_STOCK, &out).ok());
  CHECK(out.status() == pb::REJECTED);
  CHECK(out.rejection_reason() == pb::OUT_OF_STOCK);
  REQUIRE(h.Reject(order.id(), pb::INSUFFICIENT_FUNDS, &out).ok());
  CHECK(out.rejection_reason() == pb::OUT_OF_STOCK);
  const auto changes = StatusChanges(h, order.id());
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].status() == pb::REJECTED);
  CHECK(changes[0].rejection_reason() == pb::OUT_OF_STOCK);
  REQUIRE(h.Get(Admin(), order.id(), &out).ok());
  CHECK(out.rejection_reason() == pb::OUT_OF_STOCK);
}

TEST_CASE("the saga's methods refuse wrong states, unknown orders and bad reasons", "[pg]") {
  Harness h;
  const pb::Order rejected = h.MustCreate(NewUuid());
  const pb::Order approved = h.MustCreate(NewUuid());
  const pb::Order pending = h.MustCreate(NewUuid());
  pb::Order out;
  REQUIRE(h.Reject(rejected.id(), pb::TIMED_OUT, &out).ok());
  REQUIRE(h.Approve(approved.id(), &out).ok());
  grpc::Status s = h.Approve(rejected.id(), &out);
  CHECK(s.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(s.error_message().find("REJECTED") != std::string::npos);
  CHECK(h.Reject(approved.id(), pb::OUT_OF_STOCK, &out).error_code() ==
        grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(h.MarkCancelled(pending.id(), &out).error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(h.MarkCancelled(rejected.id(), &out).error_code() ==
        grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(h.Reject(pending.id(), pb::REJECTION_REASON_UNSPECIFIED, &out).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(h.Reject(pending.id(), static_cast<pb::RejectionReason>(77), &out).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(h.Approve(NewUuid(), &out).error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(h.Approve("nope", &out).error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(h.MarkCancelled("", &out).error_code() == grpc::StatusCode::NOT_FOUND);
  // Refusals wrote nothing: only each order's own events.
  CHECK(StatusChanges(h, pending.id()).empty());
  CHECK(StatusChanges(h, rejected.id()).size() == 1);
  CHECK(StatusChanges(h, approved.id()).size() == 1);
  REQUIRE(h.Get(Admin(), pending.id(), &out).ok());
  CHECK(out.status() == pb::PENDING);
}

TEST_CASE("cancelling an APPROVED order makes it CANCELLING, then MarkCancelled ends it",
          "[pg]") {
  Harness h;
  const std::string alice = NewUuid();
  const pb::Order order = h.MustCreate(alice);
  pb::Order out;
  REQUIRE(h.Approve(order.id(), &out).ok());
  // Someone else's cancel is NOT_FOUND and changes nothing.
  CHECK(h.Cancel(Customer(NewUuid()), order.id(), &out).error_code() ==
        grpc::StatusCode::NOT_FOUND);
  REQUIRE(h.Cancel(Customer(alice), order.id(), &out).ok());
  CHECK(out.status() == pb::CANCELLING);
  // A second cancel while CANCELLING answers the order as it is (API.md
  // names only SHIPPED, REJECTED and CANCELLED for 400) and starts nothing:
  // one OrderCancelRequested below.
  const std::string before = out.SerializeAsString();
  REQUIRE(h.Cancel(Customer(alice), order.id(), &out).ok());
  CHECK(out.SerializeAsString() == before);
  REQUIRE(h.MarkCancelled(order.id(), &out).ok());
  CHECK(out.status() == pb::CANCELLED);
  REQUIRE(h.MarkCancelled(order.id(), &out).ok());  // a repeat
  CHECK(out.status() == pb::CANCELLED);
  CHECK(h.Cancel(Customer(alice), order.id(), &out).error_code() ==
        grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(h.Ship(Admin(), order.id(), &out).error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  // Approving again is a repeat of what happened.
  REQUIRE(h.Approve(order.id(), &out).ok());
  CHECK(out.status() == pb::CANCELLED);

  CHECK(h.OutboxTypes(order.id()) ==
        std::vector<std::string>{"OrderCreated", "OrderStatusChanged", "OrderStatusChanged",
                                 "OrderCancelRequested", "OrderStatusChanged"});
  const auto changes = StatusChanges(h, order.id());
  REQUIRE(changes.size() == 3);
  CHECK(changes[0].status() == pb::APPROVED);
  CHECK(changes[1].status() == pb::CANCELLING);
  CHECK(changes[2].status() == pb::CANCELLED);
  const auto requests = CancelRequests(h, order.id());
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].status() == pb::CANCELLING);
  CHECK(requests[0].customer_id() == alice);
}

TEST_CASE("cancelling a PENDING order records the request once and leaves it PENDING", "[pg]") {
  Harness h;
  const std::string alice = NewUuid();
  const pb::Order order = h.MustCreate(alice);
  pb::Order out;
  REQUIRE(h.Cancel(Customer(alice), order.id(), &out).ok());
  CHECK(out.status() == pb::PENDING);
  REQUIRE(h.Cancel(Customer(alice), order.id(), &out).ok());
  CHECK(out.status() == pb::PENDING);
  CHECK(h.db().QueryAsSuper(absl::StrCat("SELECT cancel_requested_at IS NOT NULL FROM "
                                         "orders.orders WHERE id = '", order.id(), "'")) == "t");
  const auto requests = CancelRequests(h, order.id());
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].status() == pb::PENDING);
  CHECK(StatusChanges(h, order.id()).empty());
  // The saga then stops it.
  REQUIRE(h.Reject(order.id(), pb::CANCELLED_BY_CUSTOMER, &out).ok());
  CHECK(out.status() == pb::REJECTED);
  CHECK(out.rejection_reason() == pb::CANCELLED_BY_CUSTOMER);
  CHECK(h.Cancel(Customer(alice), order.id(), &out).error_code() ==
        grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_CASE("an admin may cancel any order; the approval racing a PENDING cancel still ends "
          "CANCELLED", "[pg]") {
  Harness h;
  const pb::Order order = h.MustCreate(NewUuid());
  pb::Order out;
  REQUIRE(h.Cancel(Admin(), order.id(), &out).ok());
  CHECK(out.status() == pb::PENDING);
  // The approval won: the cancel saga runs on the APPROVED order.
  REQUIRE(h.Approve(order.id(), &out).ok());
  REQUIRE(h.MarkCancelled(order.id(), &out).ok());
  CHECK(out.status() == pb::CANCELLED);
}

TEST_CASE("shipping needs an admin and an APPROVED order", "[pg]") {
  Harness h;
  const std::string alice = NewUuid();
  const pb::Order order = h.MustCreate(alice);
  pb::Order out;
  CHECK(h.Ship(Admin(), order.id(), &out).error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  REQUIRE(h.Approve(order.id(), &out).ok());
  CHECK(h.Ship(Customer(alice), order.id(), &out).error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);
  REQUIRE(h.Ship(Admin(), order.id(), &out).ok());
  CHECK(out.status() == pb::SHIPPED);
  CHECK(h.Ship(Admin(), order.id(), &out).error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(h.Cancel(Customer(alice), order.id(), &out).error_code() ==
        grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(h.Ship(Admin(), NewUuid(), &out).error_code() == grpc::StatusCode::NOT_FOUND);
  const auto changes = StatusChanges(h, order.id());
  REQUIRE(changes.size() == 2);
  CHECK(changes[1].status() == pb::SHIPPED);
  CHECK(changes[1].customer_id() == alice);
  CHECK(changes[1].lines_size() == 1);
}

TEST_CASE("FindPurchase answers the newest APPROVED or SHIPPED order of a customer holding a product, and only "
          "such an order",
          "[pg]") {
  Harness h;
  const std::string alice = NewUuid();
  const std::string p = h.AddProduct(500);
  const std::string other = h.AddProduct(700);
  auto find = [&](const std::string& customer, const std::string& product) {
    pb::FindPurchaseRequest req;
    req.set_customer_id(customer);
    req.set_product_id(product);
    pb::FindPurchaseResponse resp;
    REQUIRE(h.Call(&pb::Orders::Stub::FindPurchase, req, &resp).ok());
    return resp;
  };
  pb::Order out;
  h.MustCreate(alice, {{p, 1}});  // PENDING
  const pb::Order rejected = h.MustCreate(alice, {{p, 1}});
  REQUIRE(h.Reject(rejected.id(), pb::OUT_OF_STOCK, &out).ok());
  CHECK(find(alice, p).order_id().empty());  // PENDING and REJECTED give nothing
  const pb::Order approved = h.MustCreate(alice, {{p, 1}, {other, 2}});
  REQUIRE(h.Approve(approved.id(), &out).ok());
  CHECK(find(alice, p).order_id() == approved.id());
  CHECK(find(alice, p).status() == pb::APPROVED);
  CHECK(find(alice, other).order_id() == approved.id());  // any line of the order
  CHECK(find(NewUuid(), p).order_id().empty());           // another customer's
  CHECK(find(alice, NewUuid()).order_id().empty());       // another product
  CHECK(find("not-a-uuid", p).order_id().empty());
  const pb::Order shipped = h.MustCreate(alice, {{p, 1}});
  REQUIRE(h.Approve(shipped.id(), &out).ok());
  REQUIRE(h.Ship(Admin(), shipped.id(), &out).ok());
  CHECK(find(alice, p).order_id() == shipped.id());  // the newest
  CHECK(find(alice, p).status() == pb::SHIPPED);
  // Cancelled, it gives nothing any more.
  REQUIRE(h.Cancel(Customer(alice), approved.id(), &out).ok());
  pb::MarkCancelledRequest mark;
  mark.set_order_id(approved.id());
  REQUIRE(h.Call(&pb::Orders::Stub::MarkCancelled, mark, &out).ok());
  CHECK(find(alice, other).order_id().empty());
  // An end user may not ask: INTERNAL.
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", Customer(alice));
  pb::FindPurchaseRequest req;
  req.set_customer_id(alice);
  req.set_product_id(p);
  pb::FindPurchaseResponse resp;
  CHECK(h.stub().FindPurchase(&ctx, req, &resp).error_code() == grpc::StatusCode::UNAUTHENTICATED);
}

TEST_CASE("LocateOrder answers an order's customer, status and creation time, NOT_FOUND for an unknown one, "
          "and only to a service",
          "[pg]") {
  Harness h;
  const std::string alice = NewUuid();
  const pb::Order order = h.MustCreate(alice);
  pb::LocateOrderRequest req;
  req.set_order_id(order.id());
  pb::LocatedOrder located;
  REQUIRE(h.Call(&pb::Orders::Stub::LocateOrder, req, &located).ok());
  CHECK(located.customer_id() == alice);
  CHECK(located.status() == pb::PENDING);
  CHECK(located.created_at().seconds() == order.created_at().seconds());
  CHECK(located.created_at().nanos() == order.created_at().nanos());
  pb::Order out;
  REQUIRE(h.Approve(order.id(), &out).ok());
  REQUIRE(h.Call(&pb::Orders::Stub::LocateOrder, req, &located).ok());
  CHECK(located.status() == pb::APPROVED);
  req.set_order_id(NewUuid());
  CHECK(h.Call(&pb::Orders::Stub::LocateOrder, req, &located).error_code() == grpc::StatusCode::NOT_FOUND);
  req.set_order_id("not-a-uuid");
  CHECK(h.Call(&pb::Orders::Stub::LocateOrder, req, &located).error_code() == grpc::StatusCode::NOT_FOUND);
  // An end user, even the order's customer, may not ask: INTERNAL.
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", Customer(alice));
  req.set_order_id(order.id());
  CHECK(h.stub().LocateOrder(&ctx, req, &located).error_code() == grpc::StatusCode::UNAUTHENTICATED);
}

TEST_CASE("approvals and rejections racing on one order leave one decision and its events only",
          "[pg]") {
  Harness h;
  constexpr int kOrders = 6;
  constexpr int kThreads = 8;
  for (int round = 0; round < kOrders; ++round) {
    const pb::Order order = h.MustCreate(NewUuid());
    std::atomic<int> approved{0}, rejected{0}, refused{0}, other{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        pb::Order out;
        const bool approve = (t + round) % 2 == 0;
        const grpc::Status s = approve ? h.Approve(order.id(), &out)
                                       : h.Reject(order.id(), pb::OUT_OF_STOCK, &out);
        if (s.ok()) {
          (out.status() == pb::APPROVED ? approved : rejected).fetch_add(1);
        } else if (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
          refused.fetch_add(1);
        } else {
          other.fetch_add(1);
        }
      });
    }
    for (auto& t : threads) t.join();
    CHECK(other.load() == 0);
    // One side won; every call of the other side was refused.
    CHECK(((approved.load() == kThreads / 2) != (rejected.load() == kThreads / 2)));
    CHECK(approved.load() + rejected.load() == kThreads / 2);
    CHECK(refused.load() == kThreads / 2);
    pb::Order final_state;
    REQUIRE(h.Get(Admin(), order.id(), &final_state).ok());
    const auto changes = StatusChanges(h, order.id());
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].status() == final_state.status());
    CHECK((final_state.status() == pb::APPROVED) == (approved.load() > 0));
  }
}

}  // namespace
}  // namespace agora::orders::test
