#include <catch2/catch.hpp>
#include <map>
#include <pqxx/pqxx>
#include <thread>

#include "absl/synchronization/notification.h"
#include "prometheus/registry.h"
#include "runtime/metrics/metrics.h"
#include "runtime/pg/exec.h"
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

TEST_CASE("a single-statement write commits on its own, all or nothing, and is not run again once "
          "its connection broke after sending it",
          "[pg]") {
  TestDatabase db("inventory");
  REQUIRE(ApplyMigrations(db.ServiceOptions(), {{"t", &kSchema}}).ok());
  Pool pool(db.ServiceOptions(), 1);
  // Committed when it returns, without BEGIN/COMMIT: visible to another session.
  auto in_block = pool.WriteOne<std::string>([](Tx& tx) -> absl::StatusOr<std::string> {
    return tx.exec("WITH u AS (UPDATE accounts SET balance = 7 WHERE id = 1) "
                   "SELECT (now() = statement_timestamp())::text")[0][0].as<std::string>();
  });
  REQUIRE(in_block.ok());
  CHECK(*in_block == "true");
  CHECK(db.QueryAsSuper("SELECT balance FROM inventory.accounts WHERE id = 1") == "7");
  // One statement is atomic: its failing part undoes the other.
  const absl::Status half = pool.WriteOne([](Tx& tx) {
    tx.exec("WITH a AS (UPDATE accounts SET balance = 8 WHERE id = 2) "
            "UPDATE accounts SET balance = -1 WHERE id = 3");
    return absl::OkStatus();
  });
  CHECK(half.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(db.QueryAsSuper("SELECT balance FROM inventory.accounts WHERE id = 2") == "1000");
  // The connection dies under the statement: a read is run again on a new
  // connection, a write may have committed and is not.
  int reads = 0;
  const absl::Status read = pool.Read([&](Tx& tx) {
    if (++reads == 1) tx.exec("SELECT pg_terminate_backend(pg_backend_pid())");
    return absl::OkStatus();
  });
  CHECK(read.ok());
  CHECK(reads == 2);
  int writes = 0;
  const absl::Status write = pool.WriteOne([&](Tx& tx) {
    ++writes;
    tx.exec("SELECT pg_terminate_backend(pg_backend_pid())");
    return absl::OkStatus();
  });
  CHECK_FALSE(write.ok());
  CHECK(writes == 1);
}

TEST_CASE("generic plans are preferred for the rest of one transaction only", "[pg]") {
  TestDatabase db("inventory");
  REQUIRE(ApplyMigrations(db.ServiceOptions(), {{"t", &kSchema}}).ok());
  Pool pool(db.ServiceOptions(), 1);
  auto mode = [](Tx& tx) { return tx.exec("SELECT current_setting('plan_cache_mode')")[0][0].as<std::string>(); };
  auto inside = pool.Transact<std::string>([&](Tx& tx) -> absl::StatusOr<std::string> {
    PreferGenericPlans(tx);
    return mode(tx);
  });
  REQUIRE(inside.ok());
  CHECK(*inside == "force_generic_plan");
  // The same connection (a pool of one), the next transaction: the default again.
  auto after = pool.Transact<std::string>([&](Tx& tx) -> absl::StatusOr<std::string> { return mode(tx); });
  REQUIRE(after.ok());
  CHECK(*after == "auto");
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
  std::atomic<int> failed{0};  // Catch2's assertions are for the test's own thread only
  for (int t = 0; t < 10; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        const absl::Status s = pool.Transact([&](Tx& tx) {
          const int n = tx.exec("SELECT count(*) FROM pg_stat_activity WHERE "
                                "usename = 'inventory' AND datname = current_database()")[0][0]
                            .as<int>();
          int prev = max_seen.load();
          while (n > prev && !max_seen.compare_exchange_weak(prev, n)) {
          }
          return absl::OkStatus();
        });
        if (!s.ok()) ++failed;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failed.load() == 0);
  CHECK(max_seen.load() <= 3);
  CHECK(max_seen.load() >= 1);
}

// The value of one series of the process's registry (a histogram: its
// count), or -1 when the series does not exist.
double Series(const std::string& name, const std::map<std::string, std::string>& labels = {}) {
  for (const prometheus::MetricFamily& f : metrics::Registry().Collect()) {
    if (f.name != name) continue;
    for (const prometheus::ClientMetric& m : f.metric) {
      std::map<std::string, std::string> have;
      for (const auto& l : m.label) have[l.name] = l.value;
      if (have != labels) continue;
      switch (f.type) {
        case prometheus::MetricType::Gauge: return m.gauge.value;
        case prometheus::MetricType::Counter: return m.counter.value;
        case prometheus::MetricType::Histogram: return static_cast<double>(m.histogram.sample_count);
        default: return -1;
      }
    }
  }
  return -1;
}

TEST_CASE("a pool reports its size, leases, waits, transactions and retries as metrics", "[pg]") {
  TestDatabase db("inventory");
  REQUIRE(ApplyMigrations(db.ServiceOptions(), {{"t", &kSchema}}).ok());
  const double size0 = std::max(0.0, Series("agora_pg_pool_size"));
  const double in_use0 = std::max(0.0, Series("agora_pg_pool_in_use"));
  {
    Pool pool(db.ServiceOptions(), 1);
    CHECK(Series("agora_pg_pool_size") == size0 + 1);
    // Every series exists before its first event (dashboards and alerts read them).
    for (const char* reason : {"serialization", "reconnect"}) {
      CHECK(Series("agora_pg_retries_total", {{"reason", reason}}) >= 0);
    }
    const double ok0 = Series("agora_pg_transaction_seconds", {{"kind", "write"}, {"outcome", "ok"}});
    const double err0 = Series("agora_pg_transaction_seconds", {{"kind", "write"}, {"outcome", "error"}});
    const double reads0 = Series("agora_pg_transaction_seconds", {{"kind", "read"}, {"outcome", "ok"}});
    const double waits0 = Series("agora_pg_pool_waits_total");
    const double acquired0 = Series("agora_pg_pool_wait_seconds");
    REQUIRE(ok0 >= 0);
    REQUIRE(err0 >= 0);

    // A lease shows while the transaction runs; a second caller waits for it.
    // (Catch2 asserts on the test's thread only: the threads keep their results.)
    absl::Notification leased, release;
    absl::Status held, waited;
    std::thread holder([&] {
      held = pool.Transact([&](Tx& tx) {
        tx.exec("SELECT 1");
        leased.Notify();
        release.WaitForNotification();
        return absl::OkStatus();
      });
    });
    leased.WaitForNotification();
    CHECK(Series("agora_pg_pool_in_use") == in_use0 + 1);
    std::thread waiter([&] {
      waited = pool.Read([](Tx& tx) {
        tx.exec("SELECT 1");
        return absl::OkStatus();
      });
    });
    CHECK(agora::testing::Eventually([&] { return Series("agora_pg_pool_waits_total") == waits0 + 1; }, 5));
    release.Notify();
    holder.join();
    waiter.join();
    CHECK(held.ok());
    CHECK(waited.ok());
    CHECK(Series("agora_pg_pool_in_use") == in_use0);
    CHECK(Series("agora_pg_pool_wait_seconds") == acquired0 + 2);
    CHECK(Series("agora_pg_transaction_seconds", {{"kind", "write"}, {"outcome", "ok"}}) == ok0 + 1);
    CHECK(Series("agora_pg_transaction_seconds", {{"kind", "read"}, {"outcome", "ok"}}) == reads0 + 1);

    CHECK_FALSE(pool.Transact([](Tx&) { return absl::FailedPreconditionError("no"); }).ok());
    CHECK(Series("agora_pg_transaction_seconds", {{"kind", "write"}, {"outcome", "error"}}) == err0 + 1);
    CHECK(Series("agora_pg_pool_in_use") == in_use0);
  }
  CHECK(Series("agora_pg_pool_size") == size0);
}

TEST_CASE("a serialization failure is counted as a retry", "[pg]") {
  TestDatabase db("inventory");
  REQUIRE(ApplyMigrations(db.ServiceOptions(), {{"t", &kSchema}}).ok());
  Pool pool(db.ServiceOptions(), 2);
  const double retries0 = Series("agora_pg_retries_total", {{"reason", "serialization"}});
  int runs = 0;
  // The first run fails as PostgreSQL does on a serialization conflict; the
  // pool runs it again.
  CHECK(pool.Transact([&](Tx& tx) {
              if (++runs == 1) {
                tx.exec("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$");
              }
              return absl::OkStatus();
            }).ok());
  CHECK(runs == 2);
  CHECK(Series("agora_pg_retries_total", {{"reason", "serialization"}}) == retries0 + 1);
}

TEST_CASE("after-commit functions and notifications follow the commit only, once, after it", "[pg]") {
  TestDatabase db("inventory");
  REQUIRE(ApplyMigrations(db.ServiceOptions(), {{"t", &kSchema}}).ok());
  Pool pool(db.ServiceOptions(), 2);
  auto listen = Connect(db.ServiceOptions());
  REQUIRE(listen.ok());
  struct Counter final : pqxx::notification_receiver {
    Counter(pqxx::connection_base& c, std::vector<std::string>* got)
        : pqxx::notification_receiver(c, "t_changes"), got(got) {}
    void operator()(const std::string& payload, int) override { got->push_back(payload); }
    std::vector<std::string>* got;
  };
  std::vector<std::string> got;
  Counter counter(**listen, &got);
  auto heard = [&] {
    for (int i = 0; i < 20; ++i) (*listen)->await_notification(0, 10000);
    return got;
  };
  std::vector<std::string> ran;
  int runs = 0;
  // A first run that hits a serialization failure, then a second that commits.
  REQUIRE(pool.Transact([&](Tx& tx) {
                ++runs;
                AfterCommit(tx, [&ran, runs] { ran.push_back("run " + std::to_string(runs)); });
                NotifyAfterCommit(tx, "t_changes", "run " + std::to_string(runs));
                // Not yet: the transaction has not committed.
                if (!ran.empty()) return absl::InternalError("ran before the commit");
                if (runs == 1) tx.exec("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$");
                return absl::OkStatus();
              }).ok());
  CHECK(runs == 2);
  CHECK(ran == std::vector<std::string>{"run 2"});
  CHECK(heard() == std::vector<std::string>{"run 2"});
  // A rollback: neither.
  got.clear();
  ran.clear();
  CHECK_FALSE(pool.Transact([&](Tx& tx) {
                    AfterCommit(tx, [&ran] { ran.push_back("rolled back"); });
                    NotifyAfterCommit(tx, "t_changes", "rolled back");
                    return absl::AbortedError("no");
                  }).ok());
  CHECK(ran.empty());
  CHECK(heard().empty());
  // A single-statement write commits as it runs: both, after it.
  REQUIRE(pool.WriteOne([&](Tx& tx) {
                AfterCommit(tx, [&ran] { ran.push_back("write one"); });
                NotifyAfterCommit(tx, "t_changes", "write one");
                return absl::OkStatus();
              }).ok());
  CHECK(ran == std::vector<std::string>{"write one"});
  CHECK(heard() == std::vector<std::string>{"write one"});
  // Outside a pool's transaction they do nothing.
  pqxx::work raw(**listen);
  AfterCommit(raw, [&ran] { ran.push_back("raw"); });
  NotifyAfterCommit(raw, "t_changes", "raw");
  raw.commit();
  CHECK(ran.size() == 1);
}

}  // namespace
}  // namespace agora::runtime::pg
