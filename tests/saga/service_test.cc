// The Sagas gRPC API over a real in-process server (port 0) and a real
// PostgreSQL database: who sees which timeline, listing and paging, and an
// operator's retry and abort.

#include <catch2/catch.hpp>
#include <map>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "agora/saga/v1/admin.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "runtime/grpc/executor.h"
#include "runtime/grpc/server.h"
#include "runtime/idempotency/request_keys.h"
#include "runtime/ids/uuid.h"
#include "runtime/messaging/migrations.h"
#include "saga/coordinator.h"
#include "saga/pg_store.h"
#include "saga/service.h"
#include "tests/support/auth.h"
#include "tests/support/infra.h"

namespace agora::saga {
namespace {

using runtime::ids::NewUuid;
using runtime::pg::Tx;

// Orders' LocateOrder, answering what a test put here; UNAVAILABLE while
// `down`.
class FakeOrders final : public OrderDirectory {
 public:
  absl::StatusOr<std::optional<LocatedOrder>> Locate(const std::string& order_id,
                                                     const grpc::ServerContextBase*) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    if (down_) return absl::UnavailableError("orders is unavailable, retry later");
    auto it = orders_.find(order_id);
    if (it == orders_.end()) return std::optional<LocatedOrder>();
    return std::optional<LocatedOrder>(it->second);
  }
  void Put(const std::string& order_id, LocatedOrder order) {
    absl::MutexLock lock(&mu_);
    orders_[order_id] = std::move(order);
  }
  void SetDown(bool down) {
    absl::MutexLock lock(&mu_);
    down_ = down;
  }
  int calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, LocatedOrder> orders_ ABSL_GUARDED_BY(mu_);
  bool down_ ABSL_GUARDED_BY(mu_) = false;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
};

class Harness {
 public:
  Harness()
      : db_("saga"),
        migrated_(runtime::pg::ApplyMigrations(db_.ServiceOptions(),
                                               {{"messaging", &runtime::messaging::MessagingMigrations()},
                                                {"request_keys", &runtime::idempotency::RequestKeyMigrations()},
                                                {"saga", &SagaMigrations()}})
                      .ok()),
        pool_(db_.ServiceOptions(), 4),
        executor_(4, 256),
        coordinator_(pool_, store_, CoordinatorOptions{}, [this] { return now_; }, [] { return NewUuid(); }),
        service_(pool_, store_, coordinator_, executor_, agora::testing::TestAuthorizer(), &orders_) {
    REQUIRE(migrated_);
    auto server = runtime::grpc_server::GrpcServer::Start("127.0.0.1:0", {&service_});
    REQUIRE(server.ok());
    server_ = std::move(*server);
    stub_ = pb::Sagas::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                                   grpc::InsecureChannelCredentials()));
  }

  // A place-order saga of `customer`'s new order, started `age` ago, moved by `inputs`.
  Saga Add(const std::string& customer, absl::Duration age, int replies_ok = 0,
           const std::string& order_id = NewUuid()) {
    const SagaDefinition def = PlaceOrder();
    const IdSource ids = [] { return NewUuid(); };
    Transition t = Start(def, NewUuid(), {order_id, customer, {{NewUuid(), 1, 100}}, 100, false}, now_ - age, ids);
    for (int i = 0; i < replies_ok; ++i) {
      t = Apply(def, t.saga, ReplyInput{t.saga.steps[static_cast<size_t>(t.saga.current)].message_id, true, ""},
                now_ - age + absl::Seconds(i + 1), ids);
    }
    REQUIRE(pool_.Transact([&](Tx& tx) {
                  REQUIRE(store_.Insert(tx, t.saga));
                  return absl::OkStatus();
                }).ok());
    return t.saga;
  }
  bool Insert(const Saga& saga) {
    bool inserted = false;
    REQUIRE(pool_.Transact([&](Tx& tx) {
                  inserted = store_.Insert(tx, saga);
                  return absl::OkStatus();
                }).ok());
    return inserted;
  }
  // Every outstanding command of saga `id` answered with success, until it
  // ends (a compensation's reply, as the participants would send it).
  void RunToEnd(const std::string& id) {
    REQUIRE(pool_.Transact([&](Tx& tx) {
                  std::optional<Saga> saga = store_.Lock(tx, id);
                  REQUIRE(saga.has_value());
                  const SagaDefinition def = saga->type == SagaType::kPlaceOrder ? PlaceOrder() : CancelOrder();
                  for (int i = 0; i < 10 && !saga->ended(); ++i) {
                    const std::string outstanding = saga->steps[static_cast<size_t>(saga->current)].message_id;
                    saga = Apply(def, *saga, ReplyInput{outstanding, true, ""}, now_, [] { return NewUuid(); }).saga;
                  }
                  REQUIRE(saga->ended());
                  store_.Save(tx, *saga);
                  return absl::OkStatus();
                }).ok());
  }
  static std::unique_ptr<grpc::ClientContext> As(const std::string& id, bool admin = false) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", agora::testing::BearerFor(id, admin));
    return ctx;
  }
  pb::Sagas::Stub& stub() { return *stub_; }
  FakeOrders& orders() { return orders_; }
  const agora::testing::TestDatabase& db() const { return db_; }

 private:
  absl::Time now_ = absl::Now();
  FakeOrders orders_;
  agora::testing::TestDatabase db_;
  bool migrated_;
  runtime::pg::Pool pool_;
  runtime::grpc_server::Executor executor_;
  PgStore store_;
  Coordinator coordinator_;
  SagasService service_;
  std::unique_ptr<runtime::grpc_server::GrpcServer> server_;
  std::unique_ptr<pb::Sagas::Stub> stub_;
};

TEST_CASE("a timeline asked for before the saga started waits for it; an order without one is NOT_FOUND after "
          "the wait", "[pg]") {
  Harness h;
  h.orders().SetDown(true);  // orders cannot tell: the wait alone decides
  const std::string ann = NewUuid();
  const std::string order = NewUuid();
  pb::GetOrderSagaRequest req;
  req.set_id(order);
  pb::SagaTimeline early;
  grpc::Status asked;
  // Asked at once (POST /v1/orders has just answered 202), started 200 ms later.
  std::thread reader([&] { asked = h.stub().GetOrderSaga(Harness::As(ann).get(), req, &early); });
  absl::SleepFor(absl::Milliseconds(200));
  const Saga saga = h.Add(ann, absl::ZeroDuration(), 0, order);
  reader.join();
  INFO(asked.error_message());
  REQUIRE(asked.ok());
  CHECK(early.saga_id() == saga.id);
  CHECK(early.state() == pb::RUNNING);
  CHECK(early.current_step() == "ReserveStock");
  // No saga ever: NOT_FOUND once the wait (1 s) is over.
  req.set_id(NewUuid());
  pb::SagaTimeline none;
  const absl::Time start = absl::Now();
  CHECK(h.stub().GetOrderSaga(Harness::As(ann).get(), req, &none).error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(absl::Now() - start >= absl::Seconds(1));
}

TEST_CASE("a timeline asked for before the saga started asks orders: an unknown order and someone else's are "
          "NOT_FOUND, the caller's PENDING order is shown starting under its saga's id, then as the saga runs",
          "[pg]") {
  Harness h;
  const std::string ann = NewUuid(), bob = NewUuid();
  const absl::Time placed = absl::FromUnixMicros(absl::ToUnixMicros(absl::Now()) - 3'000'000);
  const std::string order = NewUuid();
  h.orders().Put(order, LocatedOrder{ann, /*pending=*/true, placed, "PENDING"});
  pb::GetOrderSagaRequest req;
  req.set_id(order);
  // Its OrderCreated is late (Kafka lags): shown as the saga starting.
  pb::SagaTimeline starting;
  REQUIRE(h.stub().GetOrderSaga(Harness::As(ann).get(), req, &starting).ok());
  CHECK(starting.saga_id() == SagaIdFor(order, SagaType::kPlaceOrder));
  CHECK(starting.order_id() == order);
  CHECK(starting.type() == pb::PLACE_ORDER);
  CHECK(starting.state() == pb::RUNNING);
  CHECK(starting.current_step() == "ReserveStock");
  REQUIRE(starting.steps_size() == 1);
  CHECK(starting.steps(0).name() == "ReserveStock");
  CHECK(starting.steps(0).state() == pb::SagaStep::PENDING);
  CHECK(starting.steps(0).attempts() == 0);
  CHECK_FALSE(starting.steps(0).has_started_at());
  CHECK(starting.started_at().seconds() == absl::ToUnixSeconds(placed));
  // An admin sees it too; someone else and an order orders does not know are NOT_FOUND.
  pb::SagaTimeline t;
  CHECK(h.stub().GetOrderSaga(Harness::As(NewUuid(), true).get(), req, &t).ok());
  CHECK(h.stub().GetOrderSaga(Harness::As(bob).get(), req, &t).error_code() == grpc::StatusCode::NOT_FOUND);
  req.set_id(NewUuid());
  CHECK(h.stub().GetOrderSaga(Harness::As(ann).get(), req, &t).error_code() == grpc::StatusCode::NOT_FOUND);
  // An order that is no longer PENDING and has no saga is not shown starting.
  const std::string ended = NewUuid();
  h.orders().Put(ended, LocatedOrder{ann, /*pending=*/false, placed, "REJECTED"});
  req.set_id(ended);
  CHECK(h.stub().GetOrderSaga(Harness::As(ann).get(), req, &t).error_code() == grpc::StatusCode::NOT_FOUND);
  // Once the saga started, its timeline, under the id shown before.
  req.set_id(order);
  Transition started = Start(PlaceOrder(), SagaIdFor(order, SagaType::kPlaceOrder),
                             {order, ann, {{NewUuid(), 1, 100, true}}, 100, false}, absl::Now(), [] { return NewUuid(); });
  REQUIRE(h.Insert(started.saga));
  pb::SagaTimeline running;
  REQUIRE(h.stub().GetOrderSaga(Harness::As(ann).get(), req, &running).ok());
  CHECK(running.saga_id() == starting.saga_id());
  CHECK(running.steps(0).state() == pb::SagaStep::RUNNING);
  CHECK(running.steps(0).attempts() == 1);
  // A saga found at once needs no question to orders.
  const int calls = h.orders().calls();
  REQUIRE(h.stub().GetOrderSaga(Harness::As(ann).get(), req, &running).ok());
  CHECK(h.orders().calls() == calls);
}

TEST_CASE("a timeline asked for once the order shows its last step's effect waits for the step's reply", "[pg]") {
  // Orders changes the order's status in the transaction that replies; the
  // timeline records the reply once it has come back over Kafka. Asked in
  // between (a :watch event said APPROVED), the answer waits for it.
  Harness h;
  const std::string ann = NewUuid();
  const auto ask = [&](const Saga& saga, pb::SagaTimeline* t) {
    pb::GetOrderSagaRequest req;
    req.set_id(saga.order.order_id);
    const absl::Time start = absl::Now();
    REQUIRE(h.stub().GetOrderSaga(Harness::As(ann).get(), req, t).ok());
    return absl::Now() - start;
  };
  {
    // Orders has not applied ApproveOrder yet: the running step, at once.
    const Saga saga = h.Add(ann, absl::Minutes(1), /*replies_ok=*/2);
    h.orders().Put(saga.order.order_id, LocatedOrder{ann, /*pending=*/true, saga.started_at, "PENDING"});
    pb::SagaTimeline t;
    CHECK(ask(saga, &t) < absl::Milliseconds(500));
    CHECK(t.state() == pb::RUNNING);
    CHECK(t.current_step() == "ApproveOrder");
  }
  {
    // APPROVED already: the answer is the timeline once the reply is in.
    const Saga saga = h.Add(ann, absl::Minutes(1), /*replies_ok=*/2);
    h.orders().Put(saga.order.order_id, LocatedOrder{ann, /*pending=*/false, saga.started_at, "APPROVED"});
    std::thread reply([&] {
      absl::SleepFor(absl::Milliseconds(200));
      h.RunToEnd(saga.id);
    });
    pb::SagaTimeline t;
    const absl::Duration took = ask(saga, &t);
    reply.join();
    CHECK(took >= absl::Milliseconds(150));
    CHECK(t.state() == pb::COMPLETED);
    REQUIRE(t.steps_size() == 3);
    CHECK(t.steps(2).name() == "ApproveOrder");
    CHECK(t.steps(2).state() == pb::SagaStep::SUCCEEDED);
    CHECK(t.steps(2).has_finished_at());
  }
  {
    // A reply that does not come: the recorded timeline after the wait (1 s).
    const Saga saga = h.Add(ann, absl::Minutes(1), /*replies_ok=*/2);
    h.orders().Put(saga.order.order_id, LocatedOrder{ann, /*pending=*/false, saga.started_at, "APPROVED"});
    pb::SagaTimeline t;
    const absl::Duration took = ask(saga, &t);
    CHECK(took >= absl::Milliseconds(900));
    CHECK(took < absl::Seconds(3));
    CHECK(t.state() == pb::RUNNING);
    CHECK(t.steps(2).state() == pb::SagaStep::RUNNING);
  }
}

TEST_CASE("an order's saga timeline is its owner's and the admins', nobody else's", "[pg]") {
  Harness h;
  const std::string ann = NewUuid();
  const Saga saga = h.Add(ann, absl::Minutes(1), /*replies_ok=*/1);
  pb::GetOrderSagaRequest req;
  req.set_id(saga.order.order_id);
  pb::SagaTimeline t;
  REQUIRE(h.stub().GetOrderSaga(Harness::As(ann).get(), req, &t).ok());
  CHECK(t.saga_id() == saga.id);
  CHECK(t.order_id() == saga.order.order_id);
  CHECK(t.type() == pb::PLACE_ORDER);
  CHECK(t.state() == pb::RUNNING);
  CHECK(t.current_step() == "DebitBalance");
  REQUIRE(t.steps_size() == 2);
  CHECK(t.steps(0).name() == "ReserveStock");
  CHECK(t.steps(0).state() == pb::SagaStep::SUCCEEDED);
  CHECK(t.steps(0).attempts() == 1);
  CHECK(t.steps(0).has_started_at());
  CHECK(t.steps(0).has_finished_at());
  CHECK(t.steps(1).state() == pb::SagaStep::RUNNING);
  CHECK_FALSE(t.steps(1).has_finished_at());
  CHECK(h.stub().GetOrderSaga(Harness::As(NewUuid(), true).get(), req, &t).ok());
  // Someone else's order, an unknown one, a malformed id: all NOT_FOUND,
  // worded as the orders routes word them (the same for all three).
  const grpc::Status foreign = h.stub().GetOrderSaga(Harness::As(NewUuid()).get(), req, &t);
  CHECK(foreign.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(foreign.error_message() == "order " + req.id() + " not found");
  req.set_id(NewUuid());
  const grpc::Status unknown = h.stub().GetOrderSaga(Harness::As(ann).get(), req, &t);
  CHECK(unknown.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(unknown.error_message() == "order " + req.id() + " not found");
  req.set_id("../etc");
  const grpc::Status malformed = h.stub().GetOrderSaga(Harness::As(ann).get(), req, &t);
  CHECK(malformed.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(malformed.error_message() == "order not found");
  grpc::ClientContext anonymous;
  CHECK(h.stub().GetOrderSaga(&anonymous, req, &t).error_code() == grpc::StatusCode::UNAUTHENTICATED);
}

TEST_CASE("admins list sagas newest first, by state and age, a page at a time", "[pg]") {
  Harness h;
  const Saga old = h.Add(NewUuid(), absl::Hours(2));
  const Saga mid = h.Add(NewUuid(), absl::Hours(1), 3);  // completed
  const Saga young = h.Add(NewUuid(), absl::Seconds(1));
  pb::ListSagasRequest req;
  pb::ListSagasResponse resp;
  REQUIRE(h.stub().ListSagas(Harness::As(NewUuid(), true).get(), req, &resp).ok());
  REQUIRE(resp.sagas_size() == 3);
  CHECK(resp.sagas(0).saga_id() == young.id);
  CHECK(resp.sagas(1).saga_id() == mid.id);
  CHECK(resp.sagas(1).state() == pb::COMPLETED);
  CHECK(resp.sagas(1).current_step().empty());
  CHECK(resp.sagas(2).saga_id() == old.id);
  CHECK(resp.next_page_token().empty());

  req.set_page_size(2);
  REQUIRE(h.stub().ListSagas(Harness::As(NewUuid(), true).get(), req, &resp).ok());
  REQUIRE(resp.sagas_size() == 2);
  REQUIRE_FALSE(resp.next_page_token().empty());
  req.set_page_token(resp.next_page_token());
  pb::ListSagasResponse next;
  REQUIRE(h.stub().ListSagas(Harness::As(NewUuid(), true).get(), req, &next).ok());
  REQUIRE(next.sagas_size() == 1);
  CHECK(next.sagas(0).saga_id() == old.id);
  // The token is bound to its filter, as the other listings' are.
  pb::ListSagasRequest other = req;
  other.set_state(pb::RUNNING);
  const grpc::Status refused = h.stub().ListSagas(Harness::As(NewUuid(), true).get(), other, &next);
  CHECK(refused.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(refused.error_message() == "pageToken was issued for another filter");
  other = req;
  other.set_older_than_seconds(60);
  CHECK(h.stub().ListSagas(Harness::As(NewUuid(), true).get(), other, &next).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);

  // Re-sending the old saga's command now is no progress: it is still stuck.
  pb::RetrySagaRequest resend;
  resend.set_id(old.id);
  pb::SagaTimeline resent;
  REQUIRE(h.stub().RetrySaga(Harness::As(NewUuid(), true).get(), resend, &resent).ok());
  pb::ListSagasRequest running;
  running.set_state(pb::RUNNING);
  running.set_older_than_seconds(600);  // stuck for ten minutes at least
  REQUIRE(h.stub().ListSagas(Harness::As(NewUuid(), true).get(), running, &resp).ok());
  REQUIRE(resp.sagas_size() == 1);
  CHECK(resp.sagas(0).saga_id() == old.id);

  pb::ListSagasRequest bad;
  bad.set_page_size(-1);
  CHECK(h.stub().ListSagas(Harness::As(NewUuid(), true).get(), bad, &resp).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  bad.set_page_size(0);
  bad.set_page_token("not-a-token");
  CHECK(h.stub().ListSagas(Harness::As(NewUuid(), true).get(), bad, &resp).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(h.stub().ListSagas(Harness::As(NewUuid()).get(), req, &resp).error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);
}

TEST_CASE("an operator retries a saga's command and aborts a saga before its pivot", "[pg]") {
  Harness h;
  const Saga running = h.Add(NewUuid(), absl::Minutes(5), 1);  // DebitBalance outstanding
  pb::RetrySagaRequest retry;
  retry.set_id(running.id);
  pb::SagaTimeline t;
  REQUIRE(h.stub().RetrySaga(Harness::As(NewUuid(), true).get(), retry, &t).ok());
  CHECK(t.steps(1).attempts() == 2);
  // The re-send is in the outbox, with the command's own id.
  CHECK(h.db().QueryAsSuper("SELECT message_id FROM saga.outbox ORDER BY id DESC LIMIT 1") ==
        running.steps[1].message_id);

  pb::AbortSagaRequest abort;
  abort.set_id(running.id);
  REQUIRE(h.stub().AbortSaga(Harness::As(NewUuid(), true).get(), abort, &t).ok());
  CHECK(t.state() == pb::COMPENSATING);
  CHECK(t.current_step() == "RefundBalance");  // the debit in flight may have run
  CHECK(t.steps(1).state() == pb::SagaStep::FAILED);
  CHECK(t.steps(1).error() == "ABORTED");

  const Saga approving = h.Add(NewUuid(), absl::Minutes(5), 2);  // ApproveOrder sent
  abort.set_id(approving.id);
  CHECK(h.stub().AbortSaga(Harness::As(NewUuid(), true).get(), abort, &t).error_code() ==
        grpc::StatusCode::FAILED_PRECONDITION);
  const Saga ended = h.Add(NewUuid(), absl::Minutes(5), 3);
  retry.set_id(ended.id);
  CHECK(h.stub().RetrySaga(Harness::As(NewUuid(), true).get(), retry, &t).error_code() ==
        grpc::StatusCode::FAILED_PRECONDITION);
  retry.set_id(NewUuid());
  CHECK(h.stub().RetrySaga(Harness::As(NewUuid(), true).get(), retry, &t).error_code() ==
        grpc::StatusCode::NOT_FOUND);
  CHECK(h.stub().RetrySaga(Harness::As(NewUuid()).get(), retry, &t).error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);
}

TEST_CASE("an operator's retry and abort with an Idempotency-Key: a repeat answers the first timeline and does "
          "nothing more",
          "[pg]") {
  Harness h;
  const std::string admin = NewUuid();
  const Saga running = h.Add(NewUuid(), absl::Minutes(5), 1);  // DebitBalance outstanding
  auto outbox = [&] { return h.db().QueryAsSuper("SELECT count(*) FROM saga.outbox"); };

  pb::RetrySagaRequest retry;
  retry.set_id(running.id);
  retry.set_idempotency_key("retry-1");
  pb::SagaTimeline first, again;
  REQUIRE(h.stub().RetrySaga(Harness::As(admin, true).get(), retry, &first).ok());
  CHECK(first.steps(1).attempts() == 2);
  const std::string sent = outbox();
  REQUIRE(h.stub().RetrySaga(Harness::As(admin, true).get(), retry, &again).ok());
  CHECK(again.SerializeAsString() == first.SerializeAsString());
  CHECK(outbox() == sent);  // not sent a third time

  pb::AbortSagaRequest abort;
  abort.set_id(running.id);
  abort.set_idempotency_key("abort-1");
  REQUIRE(h.stub().AbortSaga(Harness::As(admin, true).get(), abort, &first).ok());
  CHECK(first.state() == pb::COMPENSATING);
  const std::string compensations = outbox();
  // The compensation ends the saga: an abort now is refused, but the repeat
  // still gets the first answer.
  h.RunToEnd(running.id);
  // The ended timeline still shows what failed: the aborted step, compensated.
  pb::GetSagaRequest get;
  get.set_id(running.id);
  pb::SagaTimeline ended_timeline;
  REQUIRE(h.stub().GetSaga(Harness::As(admin, true).get(), get, &ended_timeline).ok());
  CHECK(ended_timeline.state() == pb::FAILED);
  CHECK(ended_timeline.steps(1).state() == pb::SagaStep::COMPENSATED);
  CHECK(ended_timeline.steps(1).error() == "ABORTED");
  CHECK(ended_timeline.steps(0).error().empty());  // ReserveStock succeeded, then was undone
  pb::AbortSagaRequest unkeyed;
  unkeyed.set_id(running.id);
  CHECK(h.stub().AbortSaga(Harness::As(admin, true).get(), unkeyed, &again).error_code() ==
        grpc::StatusCode::FAILED_PRECONDITION);
  const Saga ended = h.Add(NewUuid(), absl::Minutes(5), 3);
  REQUIRE(h.stub().AbortSaga(Harness::As(admin, true).get(), abort, &again).ok());
  CHECK(again.SerializeAsString() == first.SerializeAsString());
  CHECK(outbox() == compensations);

  // The same key for another saga is a reuse; another admin's key is their own.
  abort.set_id(ended.id);
  CHECK(h.stub().AbortSaga(Harness::As(admin, true).get(), abort, &again).error_code() ==
        grpc::StatusCode::ALREADY_EXISTS);
  CHECK(h.stub().AbortSaga(Harness::As(NewUuid(), true).get(), abort, &again).error_code() ==
        grpc::StatusCode::FAILED_PRECONDITION);
}

}  // namespace
}  // namespace agora::saga
