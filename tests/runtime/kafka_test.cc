#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "runtime/kafka/consumer.h"
#include "runtime/kafka/producer.h"
#include "runtime/metrics/metrics.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "tests/support/infra.h"
#include "tests/support/process.h"

namespace agora::runtime::kafka {
namespace {

using agora::testing::Eventually;
using agora::testing::TestKafkaOptions;
using agora::testing::UniqueName;

std::vector<OutgoingMessage> Messages(const std::string& topic, int n) {
  std::vector<OutgoingMessage> out;
  for (int i = 0; i < n; ++i) {
    out.push_back({topic, absl::StrCat("key-", i % 7), absl::StrCat("value-", i), {{"h", "v"}}});
  }
  return out;
}

// `n` messages "0".."n-1" (`bad` in place of message `bad_at`) over `keys`
// keys, so over several partitions (the dev broker makes 4 per topic), all
// acknowledged; the producer, for dead letters.
std::unique_ptr<Producer> SendKeyed(const std::string& topic, int n, int keys, int bad_at = -1,
                                    const std::string& bad = "") {
  auto producer = NewProducer(TestKafkaOptions());
  REQUIRE(producer.ok());
  std::vector<OutgoingMessage> msgs;
  for (int i = 0; i < n; ++i) {
    msgs.push_back({topic, absl::StrCat("key-", i % keys), i == bad_at ? bad : absl::StrCat(i), {}});
  }
  for (const auto& s : (*producer)->SendAndWait(msgs, absl::Seconds(20))) REQUIRE(s.ok());
  return *std::move(producer);
}

// Offsets per partition, in handling order: each partition's in order, each
// message once.
void CheckInOrderOnce(const std::map<int32_t, std::vector<int64_t>>& offsets) {
  for (const auto& [p, o] : offsets) {
    for (size_t i = 1; i < o.size(); ++i) CHECK(o[i] == o[i - 1] + 1);
  }
}

class Collected {
 public:
  void Add(const IncomingMessage& m) {
    absl::MutexLock lock(&mu_);
    values_.push_back(m.value);
  }
  std::vector<std::string> values() {
    absl::MutexLock lock(&mu_);
    return values_;
  }
  size_t size() { return values().size(); }

 private:
  absl::Mutex mu_;
  std::vector<std::string> values_;
};

TEST_CASE("produced messages are acknowledged and consumed with key, value and headers",
          "[kafka]") {
  const std::string topic = UniqueName("t");
  auto producer = NewProducer(TestKafkaOptions());
  REQUIRE(producer.ok());
  const auto sent = (*producer)->SendAndWait(Messages(topic, 50), absl::Seconds(20));
  for (const auto& s : sent) REQUIRE(s.ok());

  Collected got;
  std::vector<IncomingMessage> first;
  absl::Mutex mu;
  auto consumer = StartConsumer({TestKafkaOptions(), UniqueName("g"), {topic}},
                                [&](const IncomingMessage& m) {
                                  {
                                    absl::MutexLock lock(&mu);
                                    if (first.empty()) first.push_back(m);
                                  }
                                  got.Add(m);
                                  return absl::OkStatus();
                                },
                                nullptr);
  REQUIRE(consumer.ok());
  REQUIRE(Eventually([&] { return got.size() >= 50; }));
  const auto values = got.values();
  CHECK(std::set<std::string>(values.begin(), values.end()).size() == 50);
  absl::MutexLock lock(&mu);
  CHECK(first[0].key.rfind("key-", 0) == 0);
  REQUIRE(first[0].headers.size() == 1);
  CHECK(first[0].headers[0] == std::make_pair(std::string("h"), std::string("v")));
}

TEST_CASE("an offset is committed only after its handler succeeded", "[kafka]") {
  const std::string topic = UniqueName("t");
  const std::string group = UniqueName("g");
  auto producer = NewProducer(TestKafkaOptions());
  REQUIRE(producer.ok());
  for (const auto& s : (*producer)->SendAndWait(Messages(topic, 20), absl::Seconds(20))) {
    REQUIRE(s.ok());
  }
  // First member: succeeds for the first 10 messages it sees, then its
  // "database" is down (UNAVAILABLE) and it is stopped.
  std::atomic<int> ok_count{0};
  Collected first_run;
  {
    auto consumer = StartConsumer(
        {TestKafkaOptions(), group, {topic}},
        [&](const IncomingMessage& m) {
          if (ok_count.load() >= 10) return absl::UnavailableError("database down");
          ok_count.fetch_add(1);
          first_run.Add(m);
          return absl::OkStatus();
        },
        nullptr);
    REQUIRE(consumer.ok());
    REQUIRE(Eventually([&] { return ok_count.load() == 10; }));
    (*consumer)->Stop();
  }
  // Second member of the same group: gets exactly the 10 never handled.
  Collected second_run;
  auto consumer = StartConsumer({TestKafkaOptions(), group, {topic}},
                                [&](const IncomingMessage& m) {
                                  second_run.Add(m);
                                  return absl::OkStatus();
                                },
                                nullptr);
  REQUIRE(consumer.ok());
  REQUIRE(Eventually([&] { return second_run.size() >= 10; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // would-be extra deliveries
  std::set<std::string> all;
  for (const auto& v : first_run.values()) all.insert(v);
  for (const auto& v : second_run.values()) all.insert(v);
  CHECK(second_run.size() == 10);
  CHECK(all.size() == 20);
}

TEST_CASE("a message that keeps failing goes to the dead-letter topic and is skipped",
          "[kafka]") {
  const std::string topic = UniqueName("t");
  auto producer = NewProducer(TestKafkaOptions());
  REQUIRE(producer.ok());
  std::vector<OutgoingMessage> msgs = {{topic, "k", "poison", {}}, {topic, "k", "good", {}}};
  for (const auto& s : (*producer)->SendAndWait(msgs, absl::Seconds(20))) REQUIRE(s.ok());

  std::atomic<int> poison_attempts{0};
  Collected handled;
  ConsumerOptions options{TestKafkaOptions(), UniqueName("g"), {topic}};
  options.max_attempts = 3;
  options.initial_backoff = absl::Milliseconds(1);
  auto consumer = StartConsumer(options,
                                [&](const IncomingMessage& m) {
                                  if (m.value == "poison") {
                                    poison_attempts.fetch_add(1);
                                    return absl::InternalError("cannot handle");
                                  }
                                  handled.Add(m);
                                  return absl::OkStatus();
                                },
                                producer->get());
  REQUIRE(consumer.ok());
  REQUIRE(Eventually([&] { return handled.size() == 1; }));
  CHECK(poison_attempts.load() == 3);
  CHECK((*consumer)->dead_lettered() == 1);

  Collected dead;
  std::vector<std::pair<std::string, std::string>> dead_headers;
  absl::Mutex mu;
  auto dlq = StartConsumer({TestKafkaOptions(), UniqueName("g"), {topic + ".dlq"}},
                           [&](const IncomingMessage& m) {
                             absl::MutexLock lock(&mu);
                             dead_headers = m.headers;
                             dead.Add(m);
                             return absl::OkStatus();
                           },
                           nullptr);
  REQUIRE(dlq.ok());
  REQUIRE(Eventually([&] { return dead.size() == 1; }));
  CHECK(dead.values()[0] == "poison");
  absl::MutexLock lock(&mu);
  bool has_error = false;
  for (const auto& [k, v] : dead_headers) has_error |= (k == "agora-dlq-error" && v == "cannot handle");
  CHECK(has_error);
}

TEST_CASE("a message that cannot be read goes to the dead-letter topic at once", "[kafka]") {
  const std::string topic = UniqueName("t");
  auto producer = NewProducer(TestKafkaOptions());
  REQUIRE(producer.ok());
  std::vector<OutgoingMessage> msgs = {{topic, "k", "garbage", {}}, {topic, "k", "good", {}}};
  for (const auto& s : (*producer)->SendAndWait(msgs, absl::Seconds(20))) REQUIRE(s.ok());
  std::atomic<int> garbage_attempts{0};
  Collected handled;
  ConsumerOptions options{TestKafkaOptions(), UniqueName("g"), {topic}};
  options.max_attempts = 5;
  auto consumer = StartConsumer(options,
                                [&](const IncomingMessage& m) {
                                  if (m.value == "garbage") {
                                    garbage_attempts.fetch_add(1);
                                    return absl::InvalidArgumentError("not an envelope");
                                  }
                                  handled.Add(m);
                                  return absl::OkStatus();
                                },
                                producer->get());
  REQUIRE(consumer.ok());
  REQUIRE(Eventually([&] { return handled.size() == 1; }));
  CHECK(garbage_attempts.load() == 1);
  CHECK((*consumer)->dead_lettered() == 1);
}

TEST_CASE("a partition whose handler fails for a while waits alone; the others go on",
          "[kafka]") {
  const bool merge = GENERATE(false, true);
  INFO("merge_partitions " << merge);
  const std::string topic = UniqueName("t");
  auto producer = SendKeyed(topic, 200, 20);

  absl::Mutex mu;
  std::map<int32_t, std::vector<int64_t>> offsets;  // per partition, in handling order
  int32_t stuck = -1;
  std::atomic<bool> recovered{false};
  std::atomic<int> batches{0};
  ConsumerOptions options{TestKafkaOptions(), UniqueName("g"), {topic}};
  options.kafka.merge_partitions = merge;
  options.initial_backoff = absl::Milliseconds(20);
  options.max_backoff = absl::Milliseconds(100);
  auto consumer = StartBatchConsumer(
      options,
      [&](const std::vector<IncomingMessage>& batch) {
        batches.fetch_add(1);
        absl::MutexLock lock(&mu);
        if (stuck < 0) stuck = batch.front().partition;
        BatchResult r;
        for (const IncomingMessage& m : batch) {
          if (m.partition == stuck && !recovered.load()) {
            r.status = absl::UnavailableError("database down");
            return r;
          }
          offsets[m.partition].push_back(m.offset);
          ++r.handled;
        }
        return r;
      },
      producer.get());
  REQUIRE(consumer.ok());
  auto total = [&] {
    absl::MutexLock lock(&mu);
    size_t n = 0;
    for (const auto& [p, o] : offsets) n += o.size();
    return n;
  };
  auto of_stuck = [&] {
    absl::MutexLock lock(&mu);
    return offsets[stuck].size();
  };
  // Other partitions are handled while the stuck one keeps failing.
  REQUIRE(Eventually([&] {
    absl::MutexLock lock(&mu);
    size_t others = 0;
    for (const auto& [p, o] : offsets) others += p == stuck ? 0 : o.size();
    return others > 0 && offsets[stuck].empty();
  }));
  const size_t before = total();
  CHECK(of_stuck() == 0);
  recovered.store(true);
  REQUIRE(Eventually([&] { return total() == 200; }));
  CHECK(total() > before);
  absl::MutexLock lock(&mu);
  CheckInOrderOnce(offsets);
  CHECK(batches.load() < 200);  // handed over in batches, not one by one
}

TEST_CASE("merge_partitions hands a round's partitions over in one call, each in order, each message once",
          "[kafka]") {
  const std::string topic = UniqueName("t");
  auto producer = SendKeyed(topic, 300, 30);
  absl::Mutex mu;
  std::map<int32_t, std::vector<int64_t>> offsets;
  size_t most_partitions = 0;  // in one call
  std::atomic<bool> first_call{true};
  ConsumerOptions options{TestKafkaOptions(), UniqueName("g"), {topic}};
  options.kafka.merge_partitions = true;
  auto consumer = StartBatchConsumer(
      options,
      [&](const std::vector<IncomingMessage>& batch) {
        // The partitions' fetches come from three brokers at their own
        // times, so a round may hold only the first to arrive. While the
        // first call is handled the others arrive: the next round holds
        // them together (on a loaded machine each round had one, alone).
        if (first_call.exchange(false)) absl::SleepFor(absl::Milliseconds(300));
        absl::MutexLock lock(&mu);
        std::set<int32_t> partitions;
        for (const IncomingMessage& m : batch) {
          partitions.insert(m.partition);
          offsets[m.partition].push_back(m.offset);
        }
        most_partitions = std::max(most_partitions, partitions.size());
        return BatchResult{batch.size(), absl::OkStatus()};
      },
      producer.get());
  REQUIRE(consumer.ok());
  REQUIRE(Eventually([&] { return (*consumer)->handled() == 300; }));
  absl::MutexLock lock(&mu);
  CHECK(most_partitions > 1);
  CheckInOrderOnce(offsets);
  size_t total = 0;
  for (const auto& [p, o] : offsets) total += o.size();
  CHECK(total == 300);
}

TEST_CASE("merge_partitions: an unreadable message is dead-lettered alone; every other message is handled",
          "[kafka]") {
  const std::string topic = UniqueName("t");
  auto producer = SendKeyed(topic, 120, 12, 37, "garbage");
  Collected handled;
  ConsumerOptions options{TestKafkaOptions(), UniqueName("g"), {topic}};
  options.kafka.merge_partitions = true;
  auto consumer = StartConsumer(options,
                                [&](const IncomingMessage& m) {
                                  if (m.value == "garbage") return absl::InvalidArgumentError("not an envelope");
                                  handled.Add(m);
                                  return absl::OkStatus();
                                },
                                producer.get());
  REQUIRE(consumer.ok());
  REQUIRE(Eventually([&] { return handled.size() >= 119 && (*consumer)->dead_lettered() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // would-be extra deliveries
  // Each good message handed over once, the unreadable one never.
  const std::vector<std::string> v = handled.values();
  CHECK(v.size() == 119);
  CHECK(std::set<std::string>(v.begin(), v.end()).size() == 119);
  CHECK(std::count(v.begin(), v.end(), "garbage") == 0);
}

// The sum of agora_kafka_consumer_lag over the partitions of `group`; -1
// before any is reported.
double Lag(const std::string& group) {
  const std::string text = prometheus::TextSerializer().Serialize(metrics::Registry().Collect());
  double sum = -1;
  const std::string needle = "agora_kafka_consumer_lag{group=\"" + group + "\"";
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    const size_t end = text.find('\n', at);
    const size_t space = text.rfind(' ', end);
    sum = std::max(sum, 0.0) + std::stod(text.substr(space + 1, end - space - 1));
  }
  return sum;
}

TEST_CASE("consumer lag per partition is reported, and falls to 0 once handled", "[kafka]") {
  const std::string topic = UniqueName("t");
  const std::string group = UniqueName("g");
  auto producer = NewProducer(TestKafkaOptions());
  REQUIRE(producer.ok());
  std::vector<OutgoingMessage> msgs;
  for (int i = 0; i < 40; ++i) msgs.push_back({topic, absl::StrCat("k", i), "v", {}});
  for (const auto& s : (*producer)->SendAndWait(msgs, absl::Seconds(20))) REQUIRE(s.ok());
  std::atomic<bool> open{false};
  ConsumerOptions options{TestKafkaOptions(), group, {topic}};
  options.initial_backoff = absl::Milliseconds(20);
  options.max_backoff = absl::Milliseconds(50);
  auto consumer = StartConsumer(options,
                                [&](const IncomingMessage&) {
                                  return open.load() ? absl::OkStatus()
                                                     : absl::UnavailableError("not yet");
                                },
                                nullptr);
  REQUIRE(consumer.ok());
  // Nothing handled: the whole topic is lag.
  CHECK(Eventually([&] { return Lag(group) == 40; }));
  open.store(true);
  CHECK(Eventually([&] { return (*consumer)->handled() == 40 && Lag(group) == 0; }));
}

TEST_CASE("a producer told its topics delivers to them, and without a broker it is still made and "
          "destroyed: the metadata fetch never holds either", "[kafka]") {
  // The fetch spares the first message to each topic librdkafka's 1-second
  // topic scan (producer.h; ./agora up's first order: 2.3 s -> 0.1 s).
  const std::string a = UniqueName("t"), b = UniqueName("t");
  auto producer = NewProducer(TestKafkaOptions(), {a, b});
  REQUIRE(producer.ok());
  for (const auto& s : (*producer)->SendAndWait({{a, "k", "1", {}}, {b, "k", "2", {}}}, absl::Seconds(20))) {
    CHECK(s.ok());
  }
  // No broker: a service still starts, and stops, while the fetch waits.
  KafkaOptions nowhere = TestKafkaOptions();
  nowhere.brokers = "127.0.0.1:1";
  std::atomic<bool> made{false}, destroyed{false};
  std::thread starter([&] {
    auto lost = NewProducer(nowhere, {a, b, UniqueName("t")});
    made = lost.ok();
    lost = absl::UnknownError("destroyed");  // the producer's destructor runs here
    destroyed = true;
  });
  const bool returned = Eventually([&] { return destroyed.load(); }, 30);
  if (!returned) std::abort();  // a hung destructor would hang the whole test binary
  starter.join();
  CHECK(made);
  CHECK(returned);
}

TEST_CASE("a bad broker option is refused with the property named", "[kafka]") {
  KafkaOptions o = TestKafkaOptions();
  o.extra["no.such.property"] = "1";
  auto producer = NewProducer(o);
  REQUIRE_FALSE(producer.ok());
  CHECK(std::string(producer.status().message()).find("no.such.property") != std::string::npos);
}

TEST_CASE("Stop returns within its bound when the broker is gone",
          "[kafka]") {
  // A broker of this test's own, killed under a joined member.
  const std::string dir = agora::testing::UniqueName("/tmp/agora-broker-");
  std::filesystem::create_directories(dir);
  agora::testing::ChildProcess broker(AGORA_DEV_BROKER, {"--brokers=1", "--bootstrap-file=" + dir + "/bootstrap"},
                                      dir + "/broker.log");
  REQUIRE(Eventually([&] { return std::filesystem::exists(dir + "/bootstrap") &&
                                  std::filesystem::file_size(dir + "/bootstrap") > 0; }));
  std::ifstream in(dir + "/bootstrap");
  KafkaOptions options = TestKafkaOptions();
  std::getline(in, options.brokers);
  const std::string topic = UniqueName("t");
  auto producer = NewProducer(options);
  REQUIRE(producer.ok());
  for (const auto& s : (*producer)->SendAndWait(Messages(topic, 5), absl::Seconds(20))) REQUIRE(s.ok());
  Collected seen;
  ConsumerOptions co{options, UniqueName("g"), {topic}};
  co.close_timeout = absl::Seconds(2);
  auto consumer = StartConsumer(co,
                                [&](const IncomingMessage& m) {
                                  seen.Add(m);
                                  return absl::OkStatus();
                                },
                                nullptr);
  REQUIRE(consumer.ok());
  REQUIRE(Eventually([&] { return seen.size() == 5; }));
  broker.Signal(SIGKILL);
  broker.Wait();
  // librdkafka's own close waits for the gone coordinator without end; ours
  // gives up after close_timeout. The bound here only tells "returned" from "hung".
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    (*consumer)->Stop();
    stopped = true;
  });
  const bool returned = Eventually([&] { return stopped.load(); }, 30);
  if (!returned) std::abort();  // a hung Stop would hang the whole test binary
  stopper.join();
  CHECK(returned);
  (*producer).reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace agora::runtime::kafka
