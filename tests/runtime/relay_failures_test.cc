// The outbox relay when the broker fails some messages: each key's order is
// kept, a row that keeps being refused moves to outbox_dead, and the
// backlog is visible in metrics. A Producer decorator fails chosen messages
// before they reach the real dev broker.

#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/wrappers.pb.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "runtime/kafka/consumer.h"
#include "runtime/messaging/migrations.h"
#include "runtime/messaging/outbox.h"
#include "runtime/messaging/relay.h"
#include "runtime/metrics/metrics.h"
#include "tests/support/infra.h"

namespace agora::runtime::messaging {
namespace {

using agora::testing::Eventually;
using agora::testing::TestDatabase;
using agora::testing::TestKafkaOptions;
using agora::testing::UniqueName;
using pg::Tx;

std::string TextOf(const std::string& value) {
  absl::StatusOr<Envelope> e = ParseEnvelope(value);
  google::protobuf::StringValue v;
  if (!e.ok() || !Unwrap(*e, &v).ok()) return "<bad envelope>";
  return v.value();
}

// Fails messages chosen by `fail` (given the message's text and how many
// times that text was offered) with `status`, or with what `rule` answers;
// sends the rest.
class FailingProducer final : public kafka::Producer {
 public:
  using Rule = std::function<absl::Status(const std::string& text, int offered)>;
  FailingProducer(kafka::Producer& real, std::function<bool(const std::string&, int)> fail,
                  absl::Status status)
      : real_(real), rule_([fail = std::move(fail), status](const std::string& text, int offered) {
          return fail(text, offered) ? status : absl::OkStatus();
        }) {}
  FailingProducer(kafka::Producer& real, Rule rule) : real_(real), rule_(std::move(rule)) {}

  std::vector<absl::Status> SendAndWait(const std::vector<kafka::OutgoingMessage>& messages,
                                        absl::Duration timeout) override {
    std::vector<absl::Status> out(messages.size());
    std::vector<kafka::OutgoingMessage> pass;
    std::vector<size_t> where;
    for (size_t i = 0; i < messages.size(); ++i) {
      const std::string text = TextOf(messages[i].value);
      int offered = 0;
      {
        absl::MutexLock lock(&mu_);
        offered = ++offered_[text];
      }
      if (absl::Status s = rule_(text, offered); !s.ok()) {
        out[i] = s;
      } else {
        pass.push_back(messages[i]);
        where.push_back(i);
      }
    }
    const std::vector<absl::Status> sent = real_.SendAndWait(pass, timeout);
    for (size_t i = 0; i < sent.size(); ++i) out[where[i]] = sent[i];
    return out;
  }

  int Offered(const std::string& text) {
    absl::MutexLock lock(&mu_);
    return offered_[text];
  }

 private:
  kafka::Producer& real_;
  Rule rule_;
  absl::Mutex mu_;
  std::map<std::string, int> offered_ ABSL_GUARDED_BY(mu_);
};

// Every message of a topic, in arrival order, with its key.
class KeyedSink final {
 public:
  explicit KeyedSink(const std::string& topic) {
    auto c = kafka::StartConsumer({TestKafkaOptions(), UniqueName("g"), {topic}},
                                  [this](const kafka::IncomingMessage& m) {
                                    absl::MutexLock lock(&mu_);
                                    got_.emplace_back(m.key, TextOf(m.value));
                                    return absl::OkStatus();
                                  },
                                  nullptr);
    REQUIRE(c.ok());
    consumer_ = std::move(*c);
  }
  std::vector<std::pair<std::string, std::string>> Got() {
    absl::MutexLock lock(&mu_);
    return got_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::pair<std::string, std::string>> got_;
  std::unique_ptr<kafka::Consumer> consumer_;
};

void Migrate(const TestDatabase& db) {
  REQUIRE(pg::ApplyMigrations(db.ServiceOptions(), {{"messaging", &MessagingMigrations()}}).ok());
}

// n messages "<key>:<seq>" over `keys` keys, seq counting per key, in one transaction.
void Fill(pg::Pool& pool, const std::string& topic, int n, int keys) {
  REQUIRE(pool.Transact([&](Tx& tx) {
                for (int i = 0; i < n; ++i) {
                  google::protobuf::StringValue v;
                  const std::string key = absl::StrCat("order-", i % keys);
                  v.set_value(absl::StrCat(key, ":", i / keys));
                  AppendToOutbox(tx, {topic, key, Wrap(v)});
                }
                return absl::OkStatus();
              }).ok());
}

int Seq(const std::string& text) {
  int seq = -1;
  std::vector<std::string> parts = absl::StrSplit(text, ':');
  if (parts.size() == 2) (void)absl::SimpleAtoi(parts[1], &seq);
  return seq;
}

std::string MetricsText() {
  return prometheus::TextSerializer().Serialize(metrics::Registry().Collect());
}

// A migrated database, its pool, a topic, the real producer, and relay
// options with short waits.
struct Rig {
  Rig() : db("inventory"), topic(UniqueName("t")) {
    Migrate(db);
    pool = std::make_unique<pg::Pool>(db.ServiceOptions(), 4);
    auto producer = kafka::NewProducer(TestKafkaOptions());
    REQUIRE(producer.ok());
    real = std::move(*producer);
    options.poll_interval = absl::Milliseconds(50);
    options.initial_backoff = absl::Milliseconds(10);
    options.max_backoff = absl::Milliseconds(40);
  }
  int Rows(const std::string& table) {
    return std::stoi(db.QueryAsSuper("SELECT count(*) FROM inventory." + table));
  }

  TestDatabase db;
  std::string topic;
  std::unique_ptr<pg::Pool> pool;
  std::unique_ptr<kafka::Producer> real;
  RelayOptions options;
};

TEST_CASE("when message k of a batch fails, each key's messages still reach Kafka in order",
          "[pg][kafka]") {
  Rig rig;
  // order-2's 4th message and order-5's 1st fail twice each, order-7's 9th once.
  FailingProducer failing(
      *rig.real,
      [](const std::string& text, int offered) {
        return (text == "order-2:3" && offered <= 2) || (text == "order-5:0" && offered <= 2) ||
               (text == "order-7:8" && offered <= 1);
      },
      absl::UnavailableError("broker said no"));
  constexpr int kKeys = 8;
  constexpr int kMessages = 160;
  Fill(*rig.pool, rig.topic, kMessages, kKeys);
  KeyedSink sink(rig.topic);
  rig.options.batch_size = 64;
  OutboxRelay relay(*rig.pool, failing, rig.options);
  relay.Start();
  REQUIRE(Eventually([&] { return sink.Got().size() >= static_cast<size_t>(kMessages); }, 30));
  relay.Stop();
  CHECK(failing.Offered("order-2:3") == 3);
  CHECK(failing.Offered("order-5:0") == 3);
  CHECK(relay.failed() == 5);
  // Per key: 0, 1, 2, ... with no message before its predecessor (and, as
  // nothing was acknowledged and then kept, no duplicate).
  std::map<std::string, std::vector<int>> per_key;
  for (const auto& [key, text] : sink.Got()) per_key[key].push_back(Seq(text));
  REQUIRE(per_key.size() == static_cast<size_t>(kKeys));
  for (const auto& [key, seqs] : per_key) {
    INFO(key);
    REQUIRE(seqs.size() == static_cast<size_t>(kMessages / kKeys));
    for (size_t i = 0; i < seqs.size(); ++i) CHECK(seqs[i] == static_cast<int>(i));
  }
  CHECK(rig.Rows("outbox") == 0);
  const std::string text = MetricsText();
  CHECK(text.find("agora_outbox_failed_total{kind=\"unavailable\",schema=\"inventory\"}") != std::string::npos);
  CHECK(text.find("agora_outbox_relay_latency_seconds_count{schema=\"inventory\"}") != std::string::npos);
}

TEST_CASE("a row refused again and again moves to outbox_dead with its error, and its key goes on",
          "[pg][kafka]") {
  Rig rig;
  FailingProducer failing(
      *rig.real, [](const std::string& text, int) { return text == "order-0:1"; },
      absl::FailedPreconditionError("kafka refused the message: too large"));
  Fill(*rig.pool, rig.topic, 12, 3);  // order-0: 0..3, order-1: 0..3, order-2: 0..3
  KeyedSink sink(rig.topic);
  rig.options.max_attempts = 3;
  OutboxRelay relay(*rig.pool, failing, rig.options);
  relay.Start();
  REQUIRE(Eventually([&] { return sink.Got().size() >= 11; }, 30));
  REQUIRE(Eventually([&] { return rig.Rows("outbox") == 0; }));
  relay.Stop();
  CHECK(failing.Offered("order-0:1") == 3);
  CHECK(rig.Rows("outbox_dead") == 1);
  CHECK(rig.db.QueryAsSuper("SELECT message_key || ' ' || attempts || ' ' || last_error FROM inventory.outbox_dead") ==
        "order-0 3 kafka refused the message: too large");
  // order-0 went on after its dead row, in order.
  std::vector<int> order0;
  for (const auto& [key, text] : sink.Got()) {
    if (key == "order-0") order0.push_back(Seq(text));
  }
  CHECK(order0 == std::vector<int>{0, 2, 3});
  REQUIRE(relay.UpdateBacklogMetrics().ok());
  const std::string text = MetricsText();
  CHECK(text.find("agora_outbox_dead_rows{schema=\"inventory\"} 1") != std::string::npos);
  CHECK(text.find("agora_outbox_backlog_rows{schema=\"inventory\"} 0") != std::string::npos);
}

TEST_CASE("a broker that is down only delays: nothing dies, and the backlog shows its age",
          "[pg][kafka]") {
  Rig rig;
  std::atomic<bool> down{true};
  FailingProducer failing(
      *rig.real, [&](const std::string&, int) { return down.load(); },
      absl::UnavailableError("all brokers down"));
  Fill(*rig.pool, rig.topic, 6, 2);
  KeyedSink sink(rig.topic);
  rig.options.max_attempts = 2;  // refusals only: an outage never kills a row
  OutboxRelay relay(*rig.pool, failing, rig.options);
  relay.Start();
  REQUIRE(Eventually([&] { return failing.Offered("order-0:0") >= 5; }));
  // The rest of each key stays back while its first message fails.
  CHECK(failing.Offered("order-0:1") == 0);
  REQUIRE(relay.UpdateBacklogMetrics().ok());
  CHECK(MetricsText().find("agora_outbox_backlog_rows{schema=\"inventory\"} 6") != std::string::npos);
  down.store(false);
  REQUIRE(Eventually([&] { return sink.Got().size() >= 6; }));
  relay.Stop();
  CHECK(rig.Rows("outbox_dead") == 0);
}

TEST_CASE("only refusals count toward outbox_dead: a row that failed in an outage then was "
          "refused once is sent again",
          "[pg][kafka]") {
  Rig rig;
  FailingProducer failing(*rig.real, [](const std::string& text, int offered) {
    if (text != "order-0:0") return absl::OkStatus();
    if (offered <= 4) return absl::UnavailableError("all brokers down");
    if (offered == 5) return absl::FailedPreconditionError("kafka refused the message: throttled?");
    return absl::OkStatus();
  });
  Fill(*rig.pool, rig.topic, 2, 1);
  KeyedSink sink(rig.topic);
  rig.options.max_attempts = 2;
  OutboxRelay relay(*rig.pool, failing, rig.options);
  relay.Start();
  REQUIRE(Eventually([&] { return sink.Got().size() >= 2; }));
  relay.Stop();
  CHECK(failing.Offered("order-0:0") == 6);
  CHECK(rig.Rows("outbox_dead") == 0);
  CHECK(sink.Got() == std::vector<std::pair<std::string, std::string>>{{"order-0", "order-0:0"},
                                                                       {"order-0", "order-0:1"}});
}

}  // namespace
}  // namespace agora::runtime::messaging
