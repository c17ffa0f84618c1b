#pragma once

// Test access to the per-run infrastructure started by support/infra.sh (a
// ctest fixture): one PostgreSQL cluster and one dev broker. Each test makes
// its own database (TestDatabase) and its own topic names (UniqueName), so
// tests are isolated and may run in parallel.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "runtime/kafka/options.h"
#include "runtime/pg/pool.h"

namespace agora::testing {

struct Infra {
  std::string dir;
  std::string pg_host;
  int pg_port = 0;
  std::string pg_superuser;
  std::string pg_superuser_password;
  std::string kafka_brokers;
};

// Reads $AGORA_TEST_INFRA_DIR/env; fails the test with a clear message when
// the fixture is not running (run the tests through ctest).
const Infra& GetInfra();

// "prefix_<random hex>", usable as a database, topic or group name.
std::string UniqueName(const std::string& prefix);

runtime::kafka::KafkaOptions TestKafkaOptions();

// A fresh database holding `service`'s schema, owned by the service's role,
// exactly as tools/pg/cluster.sh provisions the local one. Dropped at the end.
class TestDatabase final {
 public:
  explicit TestDatabase(const std::string& service);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& name() const { return name_; }
  // Connects as the service's own role, search_path = its schema.
  runtime::pg::ConnectionOptions ServiceOptions() const;
  // Connects as the superuser.
  runtime::pg::ConnectionOptions SuperOptions() const;
  // Runs SQL as the superuser and returns the first column of the first row ("" if none).
  std::string QueryAsSuper(const std::string& sql) const;

 private:
  std::string service_;
  std::string name_;
};

// Polls `condition` every 10 ms until it holds or `seconds` pass.
template <typename Fn>
bool Eventually(Fn condition, double seconds = 20) {
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

}  // namespace agora::testing
