#include <catch2/catch.hpp>
#include <cstdlib>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "runtime/pg/migrations.h"
#include "runtime/pg/pool.h"
#include "tests/support/infra.h"

namespace agora::runtime::pg {
namespace {

using agora::testing::GetInfra;
using agora::testing::TestDatabase;

const std::vector<Migration> kSchema = {{1, "t", "CREATE TABLE t (id serial PRIMARY KEY)"}};

TEST_CASE("the pool reconnects after PostgreSQL restarts", "[pg]") {
  TestDatabase db("inventory");
  REQUIRE(ApplyMigrations(db.ServiceOptions(), {{"t", &kSchema}}).ok());
  Pool pool(db.ServiceOptions(), 4);
  auto insert = [&] {
    return pool.Transact([](Tx& tx) {
      tx.exec("INSERT INTO t DEFAULT VALUES");
      return absl::OkStatus();
    });
  };
  // Open several connections, so that idle ones are broken by the restart.
  std::vector<std::thread> warm;
  for (int i = 0; i < 4; ++i) warm.emplace_back([&] { REQUIRE(insert().ok()); });
  for (auto& t : warm) t.join();

  REQUIRE(std::system(absl::StrCat(AGORA_INFRA_SCRIPT, " restart-pg ", GetInfra().dir).c_str()) == 0);

  // Every call after the restart succeeds: broken idle connections are
  // replaced transparently.
  for (int i = 0; i < 8; ++i) CHECK(insert().ok());
  CHECK(db.QueryAsSuper("SELECT count(*) FROM inventory.t") == "12");
}

TEST_CASE("a pool whose database cannot be reached answers UNAVAILABLE", "[pg]") {
  TestDatabase db("inventory");
  REQUIRE(ApplyMigrations(db.ServiceOptions(), {{"t", &kSchema}}).ok());
  ConnectionOptions wrong = db.ServiceOptions();
  wrong.port = 1;
  Pool down(wrong, 2);
  const absl::Status s = down.Transact([](Tx&) { return absl::OkStatus(); });
  CHECK(s.code() == absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace agora::runtime::pg
