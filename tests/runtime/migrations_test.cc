#include <catch2/catch.hpp>
#include <pqxx/pqxx>
#include <thread>

#include "runtime/pg/migrations.h"
#include "tests/support/infra.h"

namespace agora::runtime::pg {
namespace {

using agora::testing::TestDatabase;

const std::vector<Migration> kV1 = {
    {1, "accounts", "CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL)"},
};
const std::vector<Migration> kV2 = {
    {1, "accounts", "CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL)"},
    {2, "seed", "INSERT INTO accounts VALUES (1, 100); INSERT INTO accounts VALUES (2, 5)"},
};

TEST_CASE("pending migrations are applied once, in order, and recorded", "[pg]") {
  TestDatabase db("inventory");
  REQUIRE(ApplyMigrations(db.ServiceOptions(), {{"core", &kV1}}).ok());
  REQUIRE(ApplyMigrations(db.ServiceOptions(), {{"core", &kV2}}).ok());
  REQUIRE(ApplyMigrations(db.ServiceOptions(), {{"core", &kV2}}).ok());  // nothing pending
  CHECK(db.QueryAsSuper("SELECT count(*) FROM inventory.accounts") == "2");
  CHECK(db.QueryAsSuper("SELECT string_agg(version::text, ',' ORDER BY version) FROM "
                        "inventory.schema_migrations WHERE component = 'core'") == "1,2");
  // The tables belong to the service's schema and role.
  CHECK(db.QueryAsSuper("SELECT tableowner FROM pg_tables WHERE tablename = 'accounts'") ==
        "inventory");
}

TEST_CASE("a changed applied migration stops the start and applies nothing", "[pg]") {
  TestDatabase db("inventory");
  REQUIRE(ApplyMigrations(db.ServiceOptions(), {{"core", &kV1}}).ok());
  const std::vector<Migration> edited = {
      {1, "accounts", "CREATE TABLE accounts (id int PRIMARY KEY, balance numeric)"},
      {2, "more", "CREATE TABLE more (id int)"},
  };
  const absl::Status s = ApplyMigrations(db.ServiceOptions(), {{"core", &edited}});
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(std::string(s.message()).find("core/1_accounts") != std::string::npos);
  CHECK(db.QueryAsSuper("SELECT count(*) FROM pg_tables WHERE tablename = 'more'") == "0");
}

TEST_CASE("replicas migrating at once apply each migration exactly once", "[pg]") {
  TestDatabase db("inventory");
  const std::vector<Migration> slow = {
      {1, "t", "CREATE TABLE t (id int); SELECT pg_sleep(0.2)"},
      {2, "u", "INSERT INTO t VALUES (1)"},
  };
  std::vector<absl::Status> results(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] { results[i] = ApplyMigrations(db.ServiceOptions(), {{"c", &slow}}); });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) CHECK(r.ok());
  CHECK(db.QueryAsSuper("SELECT count(*) FROM inventory.t") == "1");
}

TEST_CASE("a failing migration is rolled back whole and reported", "[pg]") {
  TestDatabase db("inventory");
  const std::vector<Migration> bad = {
      {1, "half", "CREATE TABLE half (id int); INSERT INTO nowhere VALUES (1)"},
  };
  CHECK_FALSE(ApplyMigrations(db.ServiceOptions(), {{"c", &bad}}).ok());
  CHECK(db.QueryAsSuper("SELECT count(*) FROM pg_tables WHERE tablename = 'half'") == "0");
}

TEST_CASE("a service role cannot touch another service's schema", "[pg]") {
  TestDatabase db("inventory");
  db.QueryAsSuper("CREATE SCHEMA customers AUTHORIZATION customers; "
                  "CREATE TABLE customers.secrets (v text); INSERT INTO customers.secrets VALUES ('x')");
  pqxx::connection c(db.ServiceOptions().ToConnectionString());
  CHECK_THROWS_AS(pqxx::nontransaction(c).exec("SELECT * FROM customers.secrets"),
                  pqxx::insufficient_privilege);
  pqxx::connection c2(db.ServiceOptions().ToConnectionString());
  CHECK_THROWS_AS(pqxx::nontransaction(c2).exec("CREATE TABLE public.sneaky (id int)"),
                  pqxx::insufficient_privilege);
}

TEST_CASE("an unreachable database is UNAVAILABLE, without internals in the message", "[pg]") {
  ConnectionOptions o;
  o.port = 1;  // nothing listens there
  o.user = "inventory";
  const absl::Status s = ApplyMigrations(o, {{"core", &kV1}});
  CHECK(s.code() == absl::StatusCode::kUnavailable);
  CHECK(std::string(s.message()).find("127.0.0.1") == std::string::npos);
}

}  // namespace
}  // namespace agora::runtime::pg
