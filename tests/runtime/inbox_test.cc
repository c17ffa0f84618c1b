#include <catch2/catch.hpp>

#include <algorithm>
#include <thread>

#include "runtime/messaging/inbox.h"
#include "runtime/messaging/migrations.h"
#include "tests/support/infra.h"

namespace agora::runtime::messaging {
namespace {

using agora::testing::TestDatabase;
using pg::Tx;

TEST_CASE("the inbox records a message id once and reports a duplicate", "[pg]") {
  TestDatabase db("inventory");
  REQUIRE(pg::ApplyMigrations(db.ServiceOptions(), {{"messaging", &MessagingMigrations()}}).ok());
  pg::Pool pool(db.ServiceOptions(), 2);
  auto record = [&](const std::string& id) {
    return pool.Transact<bool>([&](Tx& tx) -> absl::StatusOr<bool> { return RecordInInbox(tx, id); });
  };
  CHECK(*record("m-1") == true);
  CHECK(*record("m-1") == false);
  CHECK(*record("m-2") == true);
}

TEST_CASE("a batch is recorded in one statement: each new id once, known ids and repeats left out", "[pg]") {
  TestDatabase db("inventory");
  REQUIRE(pg::ApplyMigrations(db.ServiceOptions(), {{"messaging", &MessagingMigrations()}}).ok());
  pg::Pool pool(db.ServiceOptions(), 2);
  auto record = [&](const std::vector<std::string>& ids) {
    return *pool.Transact<std::vector<std::string>>(
        [&](Tx& tx) -> absl::StatusOr<std::vector<std::string>> { return RecordAllInInbox(tx, ids); });
  };
  REQUIRE(*pool.Transact<bool>([&](Tx& tx) -> absl::StatusOr<bool> { return RecordInInbox(tx, "known"); }));
  // Ids hold what a producer put there: quotes, commas, braces, backslashes.
  const std::string odd = R"(a"b,c{d}\e)";
  std::vector<std::string> first = record({"m-1", "known", "m-2", "m-1", odd});
  std::sort(first.begin(), first.end());
  std::vector<std::string> want = {"m-1", "m-2", odd};
  std::sort(want.begin(), want.end());
  CHECK(first == want);
  CHECK(record({"m-2", odd, "known"}).empty());
  CHECK(record({}).empty());
  CHECK(db.QueryAsSuper("SELECT count(*) FROM inventory.inbox") == "4");
}

TEST_CASE("an id recorded in a rolled-back transaction is not a duplicate", "[pg]") {
  TestDatabase db("inventory");
  REQUIRE(pg::ApplyMigrations(db.ServiceOptions(), {{"messaging", &MessagingMigrations()}}).ok());
  pg::Pool pool(db.ServiceOptions(), 2);
  const absl::Status failed = pool.Transact([&](Tx& tx) {
    REQUIRE(RecordInInbox(tx, "m-1"));
    return absl::UnavailableError("handler failed after recording");
  });
  REQUIRE_FALSE(failed.ok());
  auto again = pool.Transact<bool>([&](Tx& tx) -> absl::StatusOr<bool> { return RecordInInbox(tx, "m-1"); });
  CHECK(*again == true);
}

TEST_CASE("concurrent deliveries of one message: exactly one handler applies its effect", "[pg]") {
  TestDatabase db("inventory");
  REQUIRE(pg::ApplyMigrations(db.ServiceOptions(), {{"messaging", &MessagingMigrations()}}).ok());
  db.QueryAsSuper("CREATE TABLE inventory.effects (n int); GRANT ALL ON inventory.effects TO inventory");
  pg::Pool pool(db.ServiceOptions(), 10);
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(10);  // asserted here: Catch2 asserts on the test's thread only
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back([&, i] {
      results[i] = pool.Transact([&](Tx& tx) {
        if (RecordInInbox(tx, "same-id")) tx.exec("INSERT INTO effects VALUES (1)");
        return absl::OkStatus();
      });
    });
  }
  for (auto& t : threads) t.join();
  for (const absl::Status& r : results) CHECK(r.ok());
  CHECK(db.QueryAsSuper("SELECT count(*) FROM inventory.effects") == "1");
}

TEST_CASE("a stored reply is found again for a duplicate", "[pg]") {
  TestDatabase db("inventory");
  REQUIRE(pg::ApplyMigrations(db.ServiceOptions(), {{"messaging", &MessagingMigrations()}}).ok());
  pg::Pool pool(db.ServiceOptions(), 2);
  const std::string binary("a\0b\xff", 4);
  REQUIRE(pool.Transact([&](Tx& tx) {
                REQUIRE(RecordInInbox(tx, "cmd-1"));
                StoreInboxReply(tx, "cmd-1", {"agora.saga.replies", "order-7", binary});
                return absl::OkStatus();
              }).ok());
  auto reply = pool.Transact<std::optional<StoredReply>>(
      [&](Tx& tx) -> absl::StatusOr<std::optional<StoredReply>> { return LoadInboxReply(tx, "cmd-1"); });
  REQUIRE(reply.ok());
  REQUIRE(reply->has_value());
  CHECK((*reply)->topic == "agora.saga.replies");
  CHECK((*reply)->key == "order-7");
  CHECK((*reply)->payload == binary);
  auto none = pool.Transact<std::optional<StoredReply>>(
      [&](Tx& tx) -> absl::StatusOr<std::optional<StoredReply>> { return LoadInboxReply(tx, "cmd-2"); });
  CHECK_FALSE(none->has_value());
}

}  // namespace
}  // namespace agora::runtime::messaging
