#include <catch2/catch.hpp>
#include <pqxx/pqxx>
#include <thread>

#include "runtime/pg/migrations.h"
#include "runtime/pg/pool.h"
#include "tests/support/infra.h"

namespace agora::runtime::pg {
namespace {

using agora::testing::TestDatabase;

const std::vector<Migration> kSchema = {
    {1, "accounts",
     "CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL CHECK (balance >= 0));"
     "INSERT INTO accounts SELECT g, 1000 FROM generate_series(1, 10) g"},
};

TEST_CASE("a transaction commits on OK and rolls back on an error status", "[pg]") {
  TestDatabase db("inventory");
  REQUIRE(ApplyMigrations(db.ServiceOptions(), {{"t", &kSchema}}).ok());
  Pool pool(db.ServiceOptions(), 2);
  REQUIRE(pool.Transact([](Tx& tx) {
                tx.exec("UPDATE accounts SET balance = 1 WHERE id = 1");
                return absl::OkStatus();
              }).ok());
  const absl::Status s = pool.Transact([](Tx& tx) {
    tx.exec("UPDATE accounts SET balance = 2 WHERE id = 2");
    return absl::FailedPreconditionError("changed my mind");
  });
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(db.QueryAsSuper("SELECT balance FROM inventory.accounts WHERE id = 1") == "1");
  CHECK(db.QueryAsSuper("SELECT balance FROM inventory.accounts WHERE id = 2") == "1000");
}

TEST_CASE("SQL errors map to precise codes without SQL text", "[pg]") {
  TestDatabase db("inventory");
  REQUIRE(ApplyMigrations(db.ServiceOptions(), {{"t", &kSchema}}).ok());
  Pool pool(db.ServiceOptions(), 1);
  const absl::Status dup = pool.Transact([](Tx& tx) {
    tx.exec("INSERT INTO accounts VALUES (1, 5)");
    return absl::OkStatus();
  });
  CHECK(dup.code() == absl::StatusCode::kAlreadyExists);
  CHECK(std::string(dup.message()).find("INSERT") == std::string::npos);
  const absl::Status negative = pool.Transact([](Tx& tx) {
    tx.exec("UPDATE accounts SET balance = -1 WHERE id = 1");
    return absl::OkStatus();
  });
  CHECK(negative.code() == absl::StatusCode::kFailedPrecondition);
  const absl::StatusOr<int> value = pool.Transact<int>([](Tx& tx) -> absl::StatusOr<int> {
    return tx.exec("SELECT balance FROM accounts WHERE id = 3")[0][0].as<int>();
  });
  REQUIRE(value.ok());
  CHECK(*value == 1000);
}

TEST_CASE("a single-statement read runs outside a transaction block", "[pg]") {
  TestDatabase db("inventory");
  REQUIRE(ApplyMigrations(db.ServiceOptions(), {{"t", &kSchema}}).ok());
  Pool pool(db.ServiceOptions(), 1);
  auto in_block = pool.Read<std::string>([](Tx& tx) -> absl::StatusOr<std::string> {
    // now() and statement_timestamp() differ only inside a transaction block.
    return tx.exec("SELECT now() = statement_timestamp()")[0][0].as<std::string>();
  });
  REQUIRE(in_block.ok());
  CHECK(*in_block == "t");
  auto in_tx = pool.Transact<std::string>([](Tx& tx) -> absl::StatusOr<std::string> {
    tx.exec("SELECT pg_sleep(0.01)");
    return tx.exec("SELECT now() = statement_timestamp()")[0][0].as<std::string>();
  });
  REQUIRE(in_tx.ok());
  CHECK(*in_tx == "f");
}

TEST_CASE("deadlocked transfers are retried and money is conserved", "[pg]") {
  TestDatabase db("inventory");
  REQUIRE(ApplyMigrations(db.ServiceOptions(), {{"t", &kSchema}}).ok());
  Pool pool(db.ServiceOptions(), 8);
  // Transfers in both directions lock rows in opposite orders: PostgreSQL
  // breaks the deadlocks, the pool re-runs the losers.
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const int from = 1 + (t + i) % 10;
        const int to = 1 + (t * 3 + i * 7 + 1) % 10;
        if (from == to) continue;
        absl::Status s = pool.Transact([&](Tx& tx) {
          tx.exec_params("UPDATE accounts SET balance = balance - 1 WHERE id = $1", from);
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          tx.exec_params("UPDATE accounts SET balance = balance + 1 WHERE id = $1", to);
          return absl::OkStatus();
        });
        if (!s.ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures.load() == 0);
  CHECK(db.QueryAsSuper("SELECT sum(balance) FROM inventory.accounts") == "10000");
}

TEST_CASE("a pool never opens more connections than its size", "[pg]") {
  TestDatabase db("inventory");
  REQUIRE(ApplyMigrations(db.ServiceOptions(), {{"t", &kSchema}}).ok());
  Pool pool(db.ServiceOptions(), 3);
  std::vector<std::thread> threads;
  std::atomic<int> max_seen{0};
  for (int t = 0; t < 10; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        REQUIRE(pool.Transact([&](Tx& tx) {
                      const int n = tx.exec("SELECT count(*) FROM pg_stat_activity WHERE "
                                            "usename = 'inventory' AND datname = current_database()")[0][0]
                                        .as<int>();
                      int prev = max_seen.load();
                      while (n > prev && !max_seen.compare_exchange_weak(prev, n)) {
                      }
                      return absl::OkStatus();
                    }).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(max_seen.load() <= 3);
  CHECK(max_seen.load() >= 1);
}

}  // namespace
}  // namespace agora::runtime::pg
