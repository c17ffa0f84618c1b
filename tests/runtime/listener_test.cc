#include "runtime/pg/listener.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "tests/support/infra.h"

namespace agora::runtime::pg {
namespace {

using agora::testing::Eventually;
using agora::testing::TestDatabase;

// What the callbacks saw, in order: "listening", "lost", or a payload.
class Journal {
 public:
  void Add(std::string event) {
    absl::MutexLock lock(&mu_);
    events_.push_back(std::move(event));
  }
  std::vector<std::string> events() const {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  size_t Count(const std::string& event) const {
    absl::MutexLock lock(&mu_);
    return static_cast<size_t>(std::count(events_.begin(), events_.end(), event));
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> events_;
};

Listener::Callbacks Record(Journal& journal) {
  return {.on_notice = [&journal](const std::string& payload) { journal.Add(payload); },
          .on_listening = [&journal] { journal.Add("listening"); },
          .on_lost = [&journal] { journal.Add("lost"); }};
}

void Notify(const TestDatabase& db, const std::string& payload) {
  db.QueryAsSuper(absl::StrCat("SELECT pg_notify('agora_test_channel', '", payload, "')"));
}

TEST_CASE("a listener hears the channel's notifications, and only after it listens", "[pg]") {
  TestDatabase db("inventory");
  Journal journal;
  Listener listener(db.ServiceOptions(), "agora_test_channel", "test_listener", Record(journal));
  Notify(db, "before");  // nobody listens yet: lost, as on_listening's contract says
  listener.Start();
  REQUIRE(Eventually([&] { return listener.listening(); }, 10));
  db.QueryAsSuper("SELECT pg_notify('another_channel', 'elsewhere')");
  Notify(db, "one");
  Notify(db, "two");
  REQUIRE(Eventually([&] { return journal.Count("two") == 1; }, 10));
  CHECK(journal.events() == std::vector<std::string>{"listening", "one", "two"});
  listener.Stop();
  CHECK_FALSE(listener.listening());
  CHECK(journal.events().back() == "lost");
  listener.Stop();  // idempotent
}

TEST_CASE("a listener whose connection is killed says so, listens again, and hears what follows", "[pg]") {
  TestDatabase db("inventory");
  Journal journal;
  Listener listener(db.ServiceOptions(), "agora_test_channel", "test_listener", Record(journal));
  listener.Start();
  REQUIRE(Eventually([&] { return listener.listening(); }, 10));
  for (int round = 1; round <= 2; ++round) {
    const std::string killed = db.QueryAsSuper(absl::StrCat(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE query LIKE 'LISTEN%agora_test_channel%' AND datname = '", db.name(), "'"));
    REQUIRE(killed == "1");
    REQUIRE(Eventually([&] { return journal.Count("lost") == static_cast<size_t>(round); }, 10));
    REQUIRE(Eventually([&] { return journal.Count("listening") == static_cast<size_t>(round + 1); }, 15));
    const std::string payload = absl::StrCat("after-", round);
    Notify(db, payload);
    REQUIRE(Eventually([&] { return journal.Count(payload) == 1; }, 10));
  }
  CHECK(journal.events() == std::vector<std::string>{"listening", "lost", "listening", "after-1", "lost",
                                                     "listening", "after-2"});
}

TEST_CASE("a listener that cannot connect keeps trying and stops promptly", "[pg]") {
  TestDatabase db("inventory");
  ConnectionOptions options = db.ServiceOptions();
  options.port = 1;  // nothing listens there: refused at once
  Journal journal;
  Listener listener(options, "agora_test_channel", "test_listener", Record(journal));
  listener.Start();
  absl::SleepFor(absl::Milliseconds(500));
  CHECK_FALSE(listener.listening());
  CHECK(journal.events().empty());  // never listened: never "lost" either
  const absl::Time stop_at = absl::Now();
  listener.Stop();
  CHECK(absl::Now() - stop_at < absl::Seconds(1));
}

}  // namespace
}  // namespace agora::runtime::pg
