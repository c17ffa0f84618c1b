// Orders' saga commands through Kafka: ApproveOrder, RejectOrder and
// MarkCancelled produced to agora.saga.commands.orders, StepReplies read
// from agora.saga.replies and the order's events from agora.orders.events,
// against the real PostgreSQL and the dev broker.

#include <catch2/catch.hpp>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "agora/saga/v1/messages.pb.h"
#include "orders/participant.h"
#include "orders/pg_store.h"
#include "runtime/ids/uuid.h"
#include "tests/support/participant_fixture.h"

namespace agora::orders {
namespace {

namespace saga = agora::saga::v1;
using agora::testing::ParticipantFixture;
using agora::testing::ReceivedReply;
using runtime::ids::NewUuid;

class Orders final {
 public:
  Orders() : f_("orders", OrdersMigrations()) {
    store_ = std::make_unique<PgStore>(f_.pool(), f_.wire().topics().OrderEvents());
    f_.Start([this](runtime::messaging::CommandHandler& h) { RegisterSagaCommands(h, *store_); });
  }
  ParticipantFixture& f() { return f_; }
  PgStore& store() { return *store_; }

  std::string Order(const std::string& status = "PENDING") {
    const std::string id = NewUuid();
    const std::string reason = status == "REJECTED" ? "'OUT_OF_STOCK'" : "NULL";
    f_.Query(absl::StrCat("INSERT INTO orders.orders (id, customer_id, status, rejection_reason, total_cents, "
                          "from_cart) VALUES ('", id, "', '", NewUuid(), "', '", status, "', ", reason,
                          ", 300, false)"));
    f_.Query(absl::StrCat("INSERT INTO orders.order_items (order_id, line_no, product_id, quantity, "
                          "unit_price_cents) VALUES ('", id, "', 1, '", NewUuid(), "', 3, 100)"));
    return id;
  }
  std::string Status(const std::string& id) {
    return f_.Query("SELECT status || COALESCE('/' || rejection_reason, '') FROM orders.orders WHERE id = '" +
                    id + "'");
  }
  saga::StepReply Do(const std::string& order, const google::protobuf::Message& command,
                     runtime::messaging::Envelope* sent = nullptr) {
    const runtime::messaging::Envelope e = f_.wire().Send("orders", order, command, "saga-" + order);
    if (sent != nullptr) *sent = e;
    std::vector<ReceivedReply> r = f_.wire().RepliesTo(e.message_id());
    REQUIRE(r.size() >= 1);
    return r[0].reply;
  }
  static saga::ApproveOrderCommand Approve(const std::string& id) {
    saga::ApproveOrderCommand c;
    c.set_order_id(id);
    return c;
  }
  static saga::RejectOrderCommand Reject(const std::string& id, agora::orders::v1::RejectionReason r) {
    saga::RejectOrderCommand c;
    c.set_order_id(id);
    c.set_reason(r);
    return c;
  }
  static saga::MarkCancelledCommand MarkCancelled(const std::string& id) {
    saga::MarkCancelledCommand c;
    c.set_order_id(id);
    return c;
  }

 private:
  ParticipantFixture f_;
  std::unique_ptr<PgStore> store_;
};

TEST_CASE("approve, reject and mark-cancelled commands move the order and publish its event",
          "[pg][kafka]") {
  Orders o;
  agora::testing::TopicReader events(o.f().wire().topics().OrderEvents());
  const std::string approved = o.Order();
  runtime::messaging::Envelope command;
  CHECK(o.Do(approved, Orders::Approve(approved), &command).success());
  CHECK(o.Status(approved) == "APPROVED");
  // Its event carries the command's saga, is caused by it, and keeps the trace.
  REQUIRE(events.WaitFor(1));
  const auto e = runtime::messaging::ParseEnvelope(events.Messages()[0].value);
  REQUIRE(e.ok());
  CHECK(e->type() == "agora.saga.v1.OrderStatusChanged");
  CHECK(e->saga_id() == "saga-" + approved);
  CHECK(e->causation_id() == command.message_id());
  CHECK(e->traceparent() == command.traceparent());

  const std::string rejected = o.Order();
  CHECK(o.Do(rejected, Orders::Reject(rejected, agora::orders::v1::OUT_OF_STOCK)).success());
  CHECK(o.Status(rejected) == "REJECTED/OUT_OF_STOCK");
  // A repeat of the same end is a success that changes nothing (the first reason stays).
  CHECK(o.Do(rejected, Orders::Reject(rejected, agora::orders::v1::TIMED_OUT)).success());
  CHECK(o.Status(rejected) == "REJECTED/OUT_OF_STOCK");

  // A PENDING order whose cancel was accepted ends CANCELLED_BY_CUSTOMER,
  // whatever the saga was ending for (here a RejectOrder already on its way),
  // through the batch path and the one-order path alike.
  for (const bool batch : {true, false}) {
    INFO("batch " << batch);
    const std::string cancelled = o.Order();
    o.f().Query("UPDATE orders.orders SET cancel_requested_at = now() WHERE id = '" + cancelled + "'");
    if (batch) {
      CHECK(o.Do(cancelled, Orders::Reject(cancelled, agora::orders::v1::ABORTED_BY_OPERATOR)).success());
    } else {
      REQUIRE(o.f().pool().Transact([&](runtime::pg::Tx& tx) -> absl::Status {
        return o.store()
            .ApplyIn(tx, cancelled, {Event::kReject, RejectionReason::kOutOfStock}, std::nullopt, {"saga", NewUuid(), ""})
            .status();
      }).ok());
    }
    CHECK(o.Status(cancelled) == "REJECTED/CANCELLED_BY_CUSTOMER");
  }

  const std::string cancelling = o.Order("CANCELLING");
  CHECK(o.Do(cancelling, Orders::MarkCancelled(cancelling)).success());
  CHECK(o.Status(cancelling) == "CANCELLED");
  REQUIRE(events.WaitFor(5));
}

TEST_CASE("orders' refusals are failure replies with a domain code", "[pg][kafka]") {
  Orders o;
  const std::string rejected = o.Order("REJECTED");
  saga::StepReply r = o.Do(rejected, Orders::Approve(rejected));
  CHECK_FALSE(r.success());
  CHECK(r.error() == "INVALID_ORDER_STATUS");
  CHECK(o.Status(rejected) == "REJECTED/OUT_OF_STOCK");
  const std::string approved = o.Order("APPROVED");
  CHECK(o.Do(approved, Orders::Reject(approved, agora::orders::v1::TIMED_OUT)).error() == "INVALID_ORDER_STATUS");
  const std::string shipped = o.Order("SHIPPED");
  CHECK(o.Do(shipped, Orders::MarkCancelled(shipped)).error() == "INVALID_ORDER_STATUS");
  const std::string nobody = NewUuid();
  CHECK(o.Do(nobody, Orders::Approve(nobody)).error() == "UNKNOWN_ORDER");
  CHECK(o.Do("not-a-uuid", Orders::Approve("not-a-uuid")).error() == "UNKNOWN_ORDER");
  const std::string pending = o.Order();
  CHECK(o.Do(pending, Orders::Reject(pending, agora::orders::v1::REJECTION_REASON_UNSPECIFIED)).error() ==
        "INVALID_REASON");
  CHECK(o.Status(pending) == "PENDING");
}

TEST_CASE("an approve delivered twice approves once and answers the same reply twice",
          "[pg][kafka]") {
  Orders o;
  agora::testing::TopicReader events(o.f().wire().topics().OrderEvents());
  const std::string id = o.Order();
  const auto approve = o.f().wire().Send("orders", id, Orders::Approve(id));
  o.f().wire().Resend("orders", id, approve);
  const auto replies = o.f().wire().RepliesTo(approve.message_id(), 2);
  REQUIRE(replies.size() == 2);
  CHECK(replies[0].envelope.message_id() == replies[1].envelope.message_id());
  CHECK(o.Status(id) == "APPROVED");
  // One status change, one event (plus nothing from the duplicate).
  REQUIRE(events.WaitFor(1));
  CHECK(o.f().Query("SELECT count(*) FROM orders.inbox") == "1");
  CHECK(events.Messages().size() == 1);
}

TEST_CASE("a batch of approvals ends exactly as the same approvals one by one: answers, statuses and events",
          "[pg][kafka]") {
  Orders o;
  o.f().Stop();  // the outbox keeps what the changes appended
  std::mt19937 rng(20261209);
  auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::vector<std::string> statuses = {"PENDING", "PENDING", "APPROVED", "REJECTED", "CANCELLING", "CANCELLED"};
  int approved = 0, refused = 0, unknown = 0, batches_with_repeats = 0, published = 0;
  for (int round = 0; round < 30; ++round) {
    std::vector<std::string> a, b;  // the same orders in two worlds
    for (int i = 0; i < 5; ++i) {
      const std::string status = statuses[static_cast<size_t>(pick(6))];
      a.push_back(o.Order(status));
      b.push_back(o.Order(status));
    }
    a.push_back(NewUuid());  // no such order
    b.push_back(NewUuid());
    std::vector<int> batch;
    for (int i = 0, n = 1 + pick(6); i < n; ++i) batch.push_back(pick(6));
    std::set<int> distinct(batch.begin(), batch.end());
    if (distinct.size() < batch.size()) ++batches_with_repeats;  // the one-by-one path inside the batch
    auto changes = [&batch](const std::vector<std::string>& world) {
      std::vector<PgStore::BatchChange> c;
      for (int i : batch) c.push_back({world[static_cast<size_t>(i)], {Event::kApprove}, {"saga", NewUuid(), ""}});
      return c;
    };
    std::vector<absl::StatusOr<ChangeResult>> batched, one_by_one;
    REQUIRE(o.f().pool().Transact([&](runtime::pg::Tx& tx) -> absl::Status {
      batched = o.store().ApplyBatchIn(tx, changes(a));
      return absl::OkStatus();
    }).ok());
    REQUIRE(o.f().pool().Transact([&](runtime::pg::Tx& tx) -> absl::Status {
      one_by_one.clear();
      for (const PgStore::BatchChange& c : changes(b)) {
        one_by_one.push_back(o.store().ApplyIn(tx, c.order_id, c.change, std::nullopt, c.context));
      }
      return absl::OkStatus();
    }).ok());
    INFO("round " << round);
    REQUIRE(batched.size() == one_by_one.size());
    for (size_t i = 0; i < batched.size(); ++i) {
      CHECK(batched[i].status().code() == one_by_one[i].status().code());
      if (!batched[i].ok() || !one_by_one[i].ok()) {
        unknown += absl::IsNotFound(one_by_one[i].status()) ? 1 : 0;
        refused += absl::IsFailedPrecondition(one_by_one[i].status()) ? 1 : 0;
        continue;
      }
      CHECK(batched[i]->changed == one_by_one[i]->changed);
      CHECK(StatusName(batched[i]->order.status) == StatusName(one_by_one[i]->order.status));
      CHECK(batched[i]->order.updated_at >= batched[i]->order.created_at);
      approved += one_by_one[i]->changed ? 1 : 0;
    }
    for (size_t i = 0; i < 6; ++i) {
      CHECK(o.Status(a[i]) == o.Status(b[i]));
      auto events = [&o](const std::string& id) {
        return o.f().Query("SELECT count(*) FROM orders.outbox WHERE message_key = '" + id + "'");
      };
      CHECK(events(a[i]) == events(b[i]));
      published += std::stoi(events(a[i]));
    }
  }
  CHECK(published == approved);  // one OrderStatusChanged per approval, keyed by the order
  CHECK(approved > 10);
  CHECK(refused > 10);
  CHECK(unknown > 5);
  CHECK(batches_with_repeats > 5);
}

}  // namespace
}  // namespace agora::orders
