#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <map>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/wrappers.pb.h"
#include "runtime/kafka/consumer.h"
#include "runtime/messaging/inbox.h"
#include "runtime/messaging/migrations.h"
#include "runtime/messaging/outbox.h"
#include "runtime/messaging/relay.h"
#include "tests/support/infra.h"
#include "tests/support/process.h"

namespace agora::runtime::messaging {
namespace {

using agora::testing::ChildProcess;
using agora::testing::Eventually;
using agora::testing::GetInfra;
using agora::testing::TestDatabase;
using agora::testing::TestKafkaOptions;
using agora::testing::UniqueName;
using pg::Tx;

OutboxMessage Text(const std::string& topic, const std::string& key, const std::string& text) {
  google::protobuf::StringValue v;
  v.set_value(text);
  return {topic, key, Wrap(v)};
}

std::string TextOf(const kafka::IncomingMessage& m) {
  absl::StatusOr<Envelope> e = ParseEnvelope(m.value);
  google::protobuf::StringValue v;
  if (!e.ok() || !Unwrap(*e, &v).ok()) return "<bad envelope>";
  return v.value();
}

// Every message that reaches the topic, raw (duplicates included).
class Sink {
 public:
  explicit Sink(const std::string& topic) {
    auto c = kafka::StartConsumer({TestKafkaOptions(), UniqueName("g"), {topic}},
                                  [this](const kafka::IncomingMessage& m) {
                                    absl::MutexLock lock(&mu_);
                                    texts_.push_back(TextOf(m));
                                    return absl::OkStatus();
                                  },
                                  nullptr);
    REQUIRE(c.ok());
    consumer_ = std::move(*c);
  }
  std::vector<std::string> texts() {
    absl::MutexLock lock(&mu_);
    return texts_;
  }
  bool Has(const std::string& text) {
    for (const auto& t : texts()) {
      if (t == text) return true;
    }
    return false;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> texts_;
  std::unique_ptr<kafka::Consumer> consumer_;
};

void Migrate(const TestDatabase& db) {
  REQUIRE(pg::ApplyMigrations(db.ServiceOptions(), {{"messaging", &MessagingMigrations()}}).ok());
}

int OutboxRows(const TestDatabase& db) {
  return std::stoi(db.QueryAsSuper("SELECT count(*) FROM inventory.outbox"));
}

TEST_CASE("a batch of outbox rows keeps its order, and a batch of replies records its commands or tells it "
          "was raced",
          "[pg]") {
  TestDatabase db("inventory");
  Migrate(db);
  pg::Pool pool(db.ServiceOptions(), 2);
  std::vector<OutboxMessage> batch;
  for (int i = 0; i < 6; ++i) batch.push_back(Text("t", i % 2 ? "odd" : "even", absl::StrCat("m", i)));
  REQUIRE(pool.Transact([&](Tx& tx) {
                AppendAllToOutbox(tx, batch);
                return absl::OkStatus();
              }).ok());
  // In the order given (ids follow it), payloads byte for byte.
  std::string want;
  for (const OutboxMessage& m : batch) absl::StrAppend(&want, m.envelope.message_id(), ",");
  CHECK(db.QueryAsSuper("SELECT string_agg(message_id, ',' ORDER BY id) || ',' FROM inventory.outbox") == want);
  std::string hex;
  for (const unsigned char c : batch.back().envelope.SerializeAsString()) {
    static constexpr char kDigits[] = "0123456789abcdef";
    hex += kDigits[c >> 4];
    hex += kDigits[c & 15];
  }
  CHECK(db.QueryAsSuper("SELECT encode(payload, 'hex') FROM inventory.outbox ORDER BY id DESC LIMIT 1") == hex);

  // Replies: two new commands and one stored reply sent again.
  auto reply = [](const std::string& id) {
    Envelope e = Text("replies", "k", "reply to " + id).envelope;
    return PendingReply{id, StoredReply{"replies", "k", e.SerializeAsString()}, e.message_id()};
  };
  std::vector<PendingReply> replies = {reply("c1"), reply(""), reply("c2")};
  REQUIRE(*pool.Transact<size_t>([&](Tx& tx) -> absl::StatusOr<size_t> { return RecordAllWithReplies(tx, replies); }) ==
        2);
  CHECK(db.QueryAsSuper("SELECT count(*) FROM inventory.inbox WHERE reply IS NOT NULL") == "2");
  CHECK(db.QueryAsSuper("SELECT count(*) FROM inventory.outbox WHERE topic = 'replies'") == "3");
  // c2 was recorded by someone else first: one fewer, the caller rolls back.
  std::vector<PendingReply> raced = {reply("c3"), reply("c2")};
  CHECK(*pool.Transact<size_t>([&](Tx& tx) -> absl::StatusOr<size_t> { return RecordAllWithReplies(tx, raced); }) ==
        1);
}

TEST_CASE("a committed outbox message reaches Kafka once and a rolled-back one never", "[pg][kafka]") {
  TestDatabase db("inventory");
  Migrate(db);
  const std::string topic = UniqueName("t");
  pg::Pool pool(db.ServiceOptions(), 4);
  auto producer = kafka::NewProducer(TestKafkaOptions());
  REQUIRE(producer.ok());
  Sink sink(topic);
  OutboxRelay relay(pool, **producer, {});
  relay.Start();

  REQUIRE(pool.Transact([&](Tx& tx) {
                AppendToOutbox(tx, Text(topic, "order-1", "committed"));
                return absl::OkStatus();
              }).ok());
  REQUIRE_FALSE(pool.Transact([&](Tx& tx) {
                      AppendToOutbox(tx, Text(topic, "order-1", "rolled back"));
                      return absl::AbortedError("the business rule said no");
                    }).ok());
  // A later message on the same key (same partition, in order): once it has
  // arrived, anything published before it has arrived too.
  REQUIRE(pool.Transact([&](Tx& tx) {
                AppendToOutbox(tx, Text(topic, "order-1", "sentinel"));
                return absl::OkStatus();
              }).ok());
  REQUIRE(Eventually([&] { return sink.Has("sentinel"); }));
  CHECK(sink.texts() == std::vector<std::string>{"committed", "sentinel"});
  REQUIRE(Eventually([&] { return OutboxRows(db) == 0; }));
  CHECK(relay.published() == 2);
}

// Counts the notifications on <schema>_outbox that reach a session of its own.
class OutboxListener {
 public:
  explicit OutboxListener(const TestDatabase& db) {
    auto c = pg::Connect(db.ServiceOptions());
    REQUIRE(c.ok());
    conn_ = std::move(*c);
    receiver_ = std::make_unique<Receiver>(*conn_, "inventory_outbox", &count_);
  }
  // Notifications received within `wait`.
  int Received(absl::Duration wait) {
    const absl::Time end = absl::Now() + wait;
    while (absl::Now() < end) conn_->await_notification(0, 20000);
    conn_->get_notifs();
    return count_;
  }

 private:
  struct Receiver final : pqxx::notification_receiver {
    Receiver(pqxx::connection_base& c, const std::string& channel, int* count)
        : pqxx::notification_receiver(c, channel), count(count) {}
    void operator()(const std::string&, int) override { ++*count; }
    int* count;
  };
  int count_ = 0;
  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<Receiver> receiver_;
};

// A database, a topic with a Sink, and a leading relay on `pool` that only a
// wakeup can wake (its poll interval is an hour).
struct LeadingRelay {
  LeadingRelay() : topic(UniqueName("t")), pool(db.ServiceOptions(), 2), producer(NewProducerOrDie()), sink(topic) {
    options.poll_interval = absl::Hours(1);
    relay = std::make_unique<OutboxRelay>(pool, *producer, options);
    relay->Start();
    REQUIRE(Eventually([&] { return relay->leader(); }));
  }
  static std::unique_ptr<kafka::Producer> NewProducerOrDie() {
    auto p = kafka::NewProducer(TestKafkaOptions());
    REQUIRE(p.ok());
    return std::move(*p);
  }

  TestDatabase db{"inventory"};
  bool migrated = (Migrate(db), true);
  const std::string topic;
  pg::Pool pool;
  std::unique_ptr<kafka::Producer> producer;
  Sink sink;
  RelayOptions options;
  std::unique_ptr<OutboxRelay> relay;
};

TEST_CASE("a commit that appended to the outbox wakes its own pool's leading relay in process, with no NOTIFY",
          "[pg][kafka]") {
  LeadingRelay r;
  const std::string& topic = r.topic;
  pg::Pool& pool = r.pool;
  Sink& sink = r.sink;
  OutboxListener listener(r.db);
  // Every way the services append: one message, several, replies with their
  // commands (one and several), and a single autocommit statement.
  REQUIRE(pool.Transact([&](Tx& tx) {
                AppendToOutbox(tx, Text(topic, "a", "one"));
                return absl::OkStatus();
              }).ok());
  CHECK(Eventually([&] { return sink.Has("one"); }, 10));
  REQUIRE(pool.Transact([&](Tx& tx) {
                AppendAllToOutbox(tx, {Text(topic, "b", "all 1"), Text(topic, "c", "all 2")});
                return absl::OkStatus();
              }).ok());
  CHECK(Eventually([&] { return sink.Has("all 2"); }, 10));
  auto reply = [&](const std::string& text) {
    return StoredReply{topic, "d", Text(topic, "d", text).envelope.SerializeAsString()};
  };
  REQUIRE(pool.Transact([&](Tx& tx) {
                return RecordWithReply(tx, UniqueName("cmd"), reply("reply"), UniqueName("m"))
                           ? absl::OkStatus()
                           : absl::InternalError("not recorded");
              }).ok());
  CHECK(Eventually([&] { return sink.Has("reply"); }, 10));
  REQUIRE(pool.Transact([&](Tx& tx) {
                return RecordAllWithReplies(tx, {{UniqueName("cmd"), reply("replies 1"), UniqueName("m")},
                                                 {UniqueName("cmd"), reply("replies 2"), UniqueName("m")}}) == 2
                           ? absl::OkStatus()
                           : absl::InternalError("not recorded");
              }).ok());
  CHECK(Eventually([&] { return sink.Has("replies 2"); }, 10));
  REQUIRE(pool.WriteOne([&](Tx& tx) {
                AppendToOutbox(tx, Text(topic, "e", "autocommit"));
                return absl::OkStatus();
              }).ok());
  CHECK(Eventually([&] { return sink.Has("autocommit"); }, 10));
  // None of those commits notified (NOTIFY would serialize them).
  CHECK(listener.Received(absl::Milliseconds(300)) == 0);
}

TEST_CASE("a pool whose process does not lead the relay NOTIFYs after the commit, and a rollback wakes nobody",
          "[pg][kafka]") {
  LeadingRelay r;  // only a NOTIFY can wake it: the writes come from another pool
  const std::string& topic = r.topic;
  Sink& sink = r.sink;
  pg::Pool writer(r.db.ServiceOptions(), 2);  // "another process": no relay of its own
  OutboxListener listener(r.db);
  CHECK_FALSE(writer.Transact([&](Tx& tx) {
                      AppendToOutbox(tx, Text(topic, "k", "rolled back"));
                      return absl::AbortedError("changed my mind");
                    }).ok());
  CHECK(listener.Received(absl::Milliseconds(300)) == 0);
  REQUIRE(writer.Transact([&](Tx& tx) {
                AppendToOutbox(tx, Text(topic, "k", "woken"));
                return absl::OkStatus();
              }).ok());
  CHECK(Eventually([&] { return sink.Has("woken"); }, 10));
  CHECK(listener.Received(absl::Milliseconds(300)) == 1);
  CHECK_FALSE(sink.Has("rolled back"));
}

TEST_CASE("a session outside the pools (an operator's psql) still wakes the relay through the outbox trigger",
          "[pg][kafka]") {
  LeadingRelay r;
  auto conn = pg::Connect(r.db.ServiceOptions());
  REQUIRE(conn.ok());
  pqxx::work tx(**conn);
  AppendToOutbox(tx, Text(r.topic, "k", "by hand"));
  tx.commit();
  CHECK(Eventually([&] { return r.sink.Has("by hand"); }, 10));
}

TEST_CASE("only one relay per schema leads; a second takes over when the first stops",
          "[pg][kafka]") {
  TestDatabase db("inventory");
  Migrate(db);
  const std::string topic = UniqueName("t");
  pg::Pool pool(db.ServiceOptions(), 4);
  auto producer = kafka::NewProducer(TestKafkaOptions());
  REQUIRE(producer.ok());
  Sink sink(topic);
  RelayOptions options;
  options.poll_interval = absl::Milliseconds(100);
  auto first = std::make_unique<OutboxRelay>(pool, **producer, options);
  first->Start();
  REQUIRE(Eventually([&] { return first->leader(); }));
  OutboxRelay second(pool, **producer, options);
  second.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK_FALSE(second.leader());
  first.reset();  // stops, releasing the lock
  REQUIRE(Eventually([&] { return second.leader(); }));
  REQUIRE(pool.Transact([&](Tx& tx) {
                AppendToOutbox(tx, Text(topic, "k", "after failover"));
                return absl::OkStatus();
              }).ok());
  CHECK(Eventually([&] { return sink.Has("after failover"); }));
}

// Consumes through the inbox of a second service's database, as a real
// participant would: records each message id with its effect in one
// transaction, so duplicates change nothing.
class InboxConsumer {
 public:
  InboxConsumer(const std::string& topic, const TestDatabase& db) : pool_(db.ServiceOptions(), 4) {
    REQUIRE(pg::ApplyMigrations(db.ServiceOptions(), {{"messaging", &MessagingMigrations()}}).ok());
    REQUIRE(pool_.Transact([](Tx& tx) {
                  tx.exec("CREATE TABLE received (text text NOT NULL)");
                  return absl::OkStatus();
                }).ok());
    auto c = kafka::StartConsumer(
        {TestKafkaOptions(), UniqueName("g"), {topic}},
        [this](const kafka::IncomingMessage& m) -> absl::Status {
          raw_.fetch_add(1);
          absl::StatusOr<Envelope> e = ParseEnvelope(m.value);
          if (!e.ok()) return e.status();
          return pool_.Transact([&](Tx& tx) {
            if (RecordInInbox(tx, e->message_id())) {
              google::protobuf::StringValue v;
              if (absl::Status s = Unwrap(*e, &v); !s.ok()) return s;
              tx.exec_params("INSERT INTO received VALUES ($1)", v.value());
            }
            return absl::OkStatus();
          });
        },
        nullptr);
    REQUIRE(c.ok());
    consumer_ = std::move(*c);
  }
  int raw() const { return raw_.load(); }
  // text -> times applied
  std::map<std::string, int> Applied() {
    auto r = pool_.Transact<std::map<std::string, int>>([](Tx& tx) -> absl::StatusOr<std::map<std::string, int>> {
      std::map<std::string, int> out;
      for (const auto& row : tx.exec("SELECT text, count(*) FROM received GROUP BY text")) {
        out[row[0].as<std::string>()] = row[1].as<int>();
      }
      return out;
    });
    REQUIRE(r.ok());
    return *r;
  }

 private:
  pg::Pool pool_;
  std::atomic<int> raw_{0};
  std::unique_ptr<kafka::Consumer> consumer_;
};

std::vector<std::string> ChildArgs(const TestDatabase& db, int crash_after_batches) {
  const auto o = db.ServiceOptions();
  return {absl::StrCat("--pg-host=", o.host), absl::StrCat("--pg-port=", o.port),
          absl::StrCat("--pg-database=", o.dbname), "--pg-user=inventory", "--pg-password=inventory",
          "--pg-schema=inventory", absl::StrCat("--kafka-brokers=", GetInfra().kafka_brokers),
          "--batch-size=100", absl::StrCat("--crash-after-batches=", crash_after_batches)};
}

void Fill(pg::Pool& pool, const std::string& topic, int n) {
  for (int i = 0; i < n; i += 50) {
    REQUIRE(pool.Transact([&](Tx& tx) {
                  for (int k = i; k < i + 50 && k < n; ++k) {
                    AppendToOutbox(tx, Text(topic, absl::StrCat("order-", k % 13), absl::StrCat("m", k)));
                  }
                  return absl::OkStatus();
                }).ok());
  }
}

void RequireEachAppliedOnce(InboxConsumer& consumer, int n) {
  REQUIRE(Eventually([&] { return static_cast<int>(consumer.Applied().size()) == n; }, 30));
  const auto applied = consumer.Applied();
  for (int k = 0; k < n; ++k) {
    const auto it = applied.find(absl::StrCat("m", k));
    REQUIRE(it != applied.end());
    REQUIRE(it->second == 1);
  }
}

TEST_CASE("a relay killed after the broker acknowledged a batch, before deleting it, "
          "loses nothing and its consumer applies every message exactly once",
          "[pg][kafka]") {
  TestDatabase db("inventory");
  TestDatabase consumer_db("orders");
  Migrate(db);
  const std::string topic = UniqueName("t");
  pg::Pool pool(db.ServiceOptions(), 2);
  constexpr int kMessages = 300;
  Fill(pool, topic, kMessages);
  InboxConsumer consumer(topic, consumer_db);

  const std::string log = GetInfra().dir + "/" + UniqueName("relay") + ".log";
  {
    ChildProcess crashing(AGORA_RELAY_CHILD, ChildArgs(db, /*crash_after_batches=*/1), log);
    const int status = crashing.Wait();
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 9);  // died at the hook, as intended
  }
  // The acknowledged batch was never deleted: every row is still there.
  CHECK(OutboxRows(db) == kMessages);
  REQUIRE(Eventually([&] { return consumer.raw() >= 100; }));  // the first batch did reach Kafka

  ChildProcess relay(AGORA_RELAY_CHILD, ChildArgs(db, 0), log);
  REQUIRE(Eventually([&] { return OutboxRows(db) == 0; }, 30));
  RequireEachAppliedOnce(consumer, kMessages);
  // The republished batch arrived twice; the inbox absorbed it.
  REQUIRE(Eventually([&] { return consumer.raw() >= kMessages + 100; }));
  relay.Signal(SIGTERM);
  const int status = relay.Wait();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("a relay SIGKILLed at an arbitrary moment while publishing loses nothing", "[pg][kafka]") {
  TestDatabase db("inventory");
  TestDatabase consumer_db("orders");
  Migrate(db);
  const std::string topic = UniqueName("t");
  pg::Pool pool(db.ServiceOptions(), 2);
  constexpr int kMessages = 2000;
  InboxConsumer consumer(topic, consumer_db);
  const std::string log = GetInfra().dir + "/" + UniqueName("relay") + ".log";
  {
    ChildProcess relay(AGORA_RELAY_CHILD, ChildArgs(db, 0), log);
    Fill(pool, topic, kMessages);
    REQUIRE(Eventually([&] { return consumer.raw() > 0; }));
    relay.Signal(SIGKILL);
    relay.Wait();
  }
  ChildProcess relay(AGORA_RELAY_CHILD, ChildArgs(db, 0), log);
  REQUIRE(Eventually([&] { return OutboxRows(db) == 0; }, 60));
  RequireEachAppliedOnce(consumer, kMessages);
}

}  // namespace
}  // namespace agora::runtime::messaging
