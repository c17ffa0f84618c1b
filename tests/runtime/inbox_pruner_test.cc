#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "runtime/messaging/inbox.h"
#include "runtime/messaging/inbox_pruner.h"
#include "runtime/messaging/migrations.h"
#include "tests/support/infra.h"

namespace agora::runtime::messaging {
namespace {

using agora::testing::TestDatabase;
using pg::Tx;

// `n` inbox rows "<prefix>-<i>" received `age` ago.
void AddRows(const TestDatabase& db, const std::string& prefix, int n, const std::string& age) {
  db.QueryAsSuper(absl::StrCat("INSERT INTO inventory.inbox (message_id, received_at) SELECT '", prefix,
                               "-' || g, now() - interval '", age, "' FROM generate_series(1, ", n, ") g"));
}

int Count(const TestDatabase& db, const std::string& prefix) {
  return std::stoi(db.QueryAsSuper("SELECT count(*) FROM inventory.inbox WHERE message_id LIKE '" + prefix + "-%'"));
}

TEST_CASE("the inbox is pruned by age and by count, never inside its dedupe window", "[pg]") {
  TestDatabase db("inventory");
  REQUIRE(pg::ApplyMigrations(db.ServiceOptions(), {{"messaging", &MessagingMigrations()}}).ok());
  pg::Pool pool(db.ServiceOptions(), 2);
  AddRows(db, "ancient", 30, "30 days");
  AddRows(db, "old", 40, "3 hours");
  AddRows(db, "older", 40, "5 hours");
  AddRows(db, "fresh", 50, "10 minutes");
  InboxRetention retention;
  retention.window = absl::Hours(1);
  retention.max_age = absl::Hours(24 * 7);
  retention.max_rows = 60;
  retention.chunk = 7;  // several statements per pass
  InboxPruner pruner(pool, retention);
  absl::StatusOr<int64_t> removed = pruner.PruneOnce();
  REQUIRE(removed.ok());
  // Past the maximum age: gone. Over the cap: the oldest go first (all of
  // "older", then "old")... but the 50 rows inside the window stay, even
  // though the cap is 60 and they alone nearly fill it.
  CHECK(Count(db, "ancient") == 0);
  CHECK(Count(db, "older") == 0);
  CHECK(Count(db, "old") == 10);
  CHECK(Count(db, "fresh") == 50);
  CHECK(*removed == 30 + 40 + 30);
  // A duplicate within the window is still caught.
  auto again = pool.Transact<bool>([](Tx& tx) -> absl::StatusOr<bool> { return RecordInInbox(tx, "fresh-7"); });
  REQUIRE(again.ok());
  CHECK_FALSE(*again);

  // Over the cap inside the window: nothing more goes.
  AddRows(db, "burst", 100, "1 minute");
  REQUIRE(pruner.PruneOnce().ok());
  CHECK(Count(db, "burst") == 100);
  CHECK(Count(db, "fresh") == 50);
  CHECK(Count(db, "old") == 0);  // the last rows outside the window went
}

}  // namespace
}  // namespace agora::runtime::messaging
