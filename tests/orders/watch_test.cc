// WatchOrder over real gRPC: the current order, then each status change as
// PostgreSQL notifies it, ending after a terminal status; refusals; a client
// that goes away; a listening connection that is lost.

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "runtime/ids/uuid.h"
#include "tests/orders/harness.h"

namespace agora::orders::test {
namespace {

using agora::testing::Eventually;
using runtime::ids::NewUuid;

struct Watch {
  grpc::ClientContext ctx;
  std::unique_ptr<grpc::ClientReaderInterface<pb::Order>> reader;

  pb::Order Next() {
    pb::Order order;
    REQUIRE(reader->Read(&order));
    return order;
  }
  // The stream ended: its status.
  grpc::Status End() {
    pb::Order extra;
    CHECK_FALSE(reader->Read(&extra));
    return reader->Finish();
  }
};

std::unique_ptr<Watch> OpenWatch(Harness& h, const std::string& bearer, const std::string& id) {
  auto w = std::make_unique<Watch>();
  w->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  if (!bearer.empty()) w->ctx.AddMetadata("authorization", bearer);
  pb::WatchOrderRequest req;
  req.set_id(id);
  w->reader = h.stub().WatchOrder(&w->ctx, req);
  return w;
}

TEST_CASE("a watch sends the order now, then each change, and ends after SHIPPED", "[pg]") {
  Harness h;
  const std::string alice = NewUuid();
  const pb::Order order = h.MustCreate(alice);
  auto w = OpenWatch(h, Customer(alice), order.id());
  const pb::Order now = w->Next();
  CHECK(now.SerializeAsString() == order.SerializeAsString());

  pb::Order out;
  REQUIRE(h.Approve(order.id(), &out).ok());
  pb::Order approved = w->Next();
  CHECK(approved.status() == pb::APPROVED);
  CHECK(approved.items_size() == order.items_size());
  CHECK(approved.total_cents() == order.total_cents());
  CHECK(approved.updated_at().SerializeAsString() == out.updated_at().SerializeAsString());

  REQUIRE(h.Ship(Admin(), order.id(), &out).ok());
  CHECK(w->Next().status() == pb::SHIPPED);
  CHECK(w->End().ok());
  CHECK(Eventually([&] { return h.hub().listener_count() == 0; }));
}

TEST_CASE("a watch delivers every step of quick successive changes, in order", "[pg]") {
  Harness h;
  const std::string alice = NewUuid();
  const pb::Order order = h.MustCreate(alice);
  auto w = OpenWatch(h, Customer(alice), order.id());
  CHECK(w->Next().status() == pb::PENDING);
  pb::Order out;
  REQUIRE(h.Approve(order.id(), &out).ok());
  REQUIRE(h.Cancel(Customer(alice), order.id(), &out).ok());
  REQUIRE(h.MarkCancelled(order.id(), &out).ok());
  CHECK(w->Next().status() == pb::APPROVED);
  CHECK(w->Next().status() == pb::CANCELLING);
  CHECK(w->Next().status() == pb::CANCELLED);
  CHECK(w->End().ok());
}

TEST_CASE("a watch of a finished order sends it and ends; a rejection carries its reason",
          "[pg]") {
  Harness h;
  const std::string alice = NewUuid();
  const pb::Order order = h.MustCreate(alice);
  pb::Order out;
  REQUIRE(h.Reject(order.id(), pb::INSUFFICIENT_FUNDS, &out).ok());
  auto w = OpenWatch(h, Customer(alice), order.id());
  const pb::Order got = w->Next();
  CHECK(got.status() == pb::REJECTED);
  CHECK(got.rejection_reason() == pb::INSUFFICIENT_FUNDS);
  CHECK(w->End().ok());

  // Rejected while watched: the notice carries the reason too.
  const pb::Order second = h.MustCreate(alice);
  auto w2 = OpenWatch(h, Customer(alice), second.id());
  CHECK(w2->Next().status() == pb::PENDING);
  REQUIRE(h.Reject(second.id(), pb::OUT_OF_STOCK, &out).ok());
  const pb::Order rejected = w2->Next();
  CHECK(rejected.status() == pb::REJECTED);
  CHECK(rejected.rejection_reason() == pb::OUT_OF_STOCK);
  CHECK(w2->End().ok());
}

TEST_CASE("watching needs a token and the order's owner or an admin", "[pg]") {
  Harness h;
  const std::string alice = NewUuid();
  const pb::Order order = h.MustCreate(alice);
  CHECK(OpenWatch(h, "", order.id())->End().error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(OpenWatch(h, "Bearer forged.token.here", order.id())->End().error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);
  CHECK(OpenWatch(h, Customer(NewUuid()), order.id())->End().error_code() ==
        grpc::StatusCode::NOT_FOUND);
  CHECK(OpenWatch(h, Customer(alice), NewUuid())->End().error_code() ==
        grpc::StatusCode::NOT_FOUND);
  CHECK(OpenWatch(h, Customer(alice), "../etc/passwd")->End().error_code() ==
        grpc::StatusCode::NOT_FOUND);
  auto admin = OpenWatch(h, Admin(), order.id());
  CHECK(admin->Next().id() == order.id());
  admin->ctx.TryCancel();
  CHECK(admin->End().error_code() == grpc::StatusCode::CANCELLED);
  CHECK(Eventually([&] { return h.hub().listener_count() == 0; }));
}

TEST_CASE("a watch whose token has expired since it began ends UNAUTHENTICATED instead of sending the "
          "next change",
          "[pg]") {
  Harness h;
  const std::string alice = NewUuid();
  const pb::Order order = h.MustCreate(alice);
  // Expired 27 s ago: the verifiers' 30 s leeway lets it pass for 3 s more.
  const absl::Duration ttl = agora::testing::TestSigner().ttl();
  const std::string bearer =
      "Bearer " + agora::testing::TestSigner().Sign(alice, {"customer"}, absl::Now() - ttl - absl::Seconds(27));
  auto w = OpenWatch(h, bearer, order.id());
  CHECK(w->Next().id() == order.id());
  absl::SleepFor(absl::Seconds(4));
  pb::Order out;
  REQUIRE(h.Approve(order.id(), &out).ok());
  const grpc::Status end = w->End();
  CHECK(end.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(Eventually([&] { return h.hub().listener_count() == 0; }));
}

TEST_CASE("a client that cancels ends the stream and frees its watcher", "[pg]") {
  Harness h;
  const std::string alice = NewUuid();
  const pb::Order order = h.MustCreate(alice);
  auto w = OpenWatch(h, Customer(alice), order.id());
  CHECK(w->Next().status() == pb::PENDING);
  CHECK(h.hub().listener_count() == 1);
  w->ctx.TryCancel();
  CHECK(w->End().error_code() == grpc::StatusCode::CANCELLED);
  CHECK(Eventually([&] { return h.hub().listener_count() == 0; }));
  // Changes after that reach nobody and break nothing.
  pb::Order out;
  REQUIRE(h.Approve(order.id(), &out).ok());
}

TEST_CASE("several watchers of one order each get its changes", "[pg]") {
  Harness h;
  const std::string alice = NewUuid();
  const pb::Order order = h.MustCreate(alice);
  std::vector<std::unique_ptr<Watch>> watches;
  for (int i = 0; i < 3; ++i) {
    watches.push_back(OpenWatch(h, Customer(alice), order.id()));
    CHECK(watches.back()->Next().status() == pb::PENDING);
  }
  const pb::Order unrelated = h.MustCreate(alice);
  pb::Order out;
  REQUIRE(h.Approve(unrelated.id(), &out).ok());
  REQUIRE(h.Reject(order.id(), pb::TIMED_OUT, &out).ok());
  for (auto& w : watches) {
    CHECK(w->Next().status() == pb::REJECTED);
    CHECK(w->End().ok());
  }
}

TEST_CASE("a watch survives the loss of the listening connection", "[pg]") {
  Harness h;
  const std::string alice = NewUuid();
  const pb::Order order = h.MustCreate(alice);
  auto w = OpenWatch(h, Customer(alice), order.id());
  CHECK(w->Next().status() == pb::PENDING);
  REQUIRE(h.db().QueryAsSuper(
              "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
              "WHERE datname = current_database() AND query LIKE 'LISTEN%'") == "1");
  // Committed while nobody listens: the reconnected hub has the watcher reload.
  pb::Order out;
  REQUIRE(h.Approve(order.id(), &out).ok());
  CHECK(w->Next().status() == pb::APPROVED);
  REQUIRE(Eventually([&] { return h.hub().listening(); }));
  REQUIRE(h.Ship(Admin(), order.id(), &out).ok());
  CHECK(w->Next().status() == pb::SHIPPED);
  CHECK(w->End().ok());
}

}  // namespace
}  // namespace agora::orders::test
