#include "runtime/kafka/consumer.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <atomic>
#include <functional>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "runtime/kafka/rdkafka_config.h"
#include "runtime/log/log.h"
#include "runtime/metrics/metrics.h"

namespace agora::runtime::kafka {

bool IsTransient(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
      return true;
    default:
      return false;
  }
}

namespace {

constexpr absl::Duration kPollWait = absl::Milliseconds(100);
constexpr absl::Duration kLagInterval = absl::Seconds(1);

struct ConsumerMetrics {
  prometheus::Family<prometheus::Gauge>& lag;
  prometheus::Family<prometheus::Counter>& dead_letters;
};

ConsumerMetrics& Metrics() {
  static ConsumerMetrics* const m = [] {
    auto& r = metrics::Registry();
    return new ConsumerMetrics{
        prometheus::BuildGauge()
            .Name("agora_kafka_consumer_lag")
            .Help("Messages of an assigned partition not yet handled by this consumer group "
                  "member (high watermark minus the next offset to handle).")
            .Register(r),
        prometheus::BuildCounter()
            .Name("agora_kafka_dead_letters_total")
            .Help("Messages sent to a .dlq topic because they could not be handled.")
            .Register(r)};
  }();
  return *m;
}

IncomingMessage ToIncoming(RdKafka::Message& m) {
  IncomingMessage in;
  in.topic = m.topic_name();
  in.partition = m.partition();
  in.offset = m.offset();
  if (m.key() != nullptr) in.key = *m.key();
  in.value.assign(static_cast<const char*>(m.payload()), m.len());
  if (const RdKafka::Headers* h = m.headers(); h != nullptr) {
    for (const RdKafka::Headers::Header& header : h->get_all()) {
      in.headers.emplace_back(header.key(),
                              std::string(static_cast<const char*>(header.value()),
                                          header.value_size()));
    }
  }
  return in;
}

using PartitionKey = std::pair<std::string, int32_t>;

// Runs a round of tasks on `threads` threads (the caller's among them) and
// returns when all are done. Handlers of different partitions run at once:
// a participant's batch is bound by its connection's round trips, so
// partitions in parallel use the cores PostgreSQL leaves idle.
class Workers final {
 public:
  explicit Workers(int threads) {
    for (int i = 1; i < threads; ++i) {
      threads_.emplace_back([this] {
        log::NameThisThread("kafka-worker");
        Work();
      });
    }
  }
  ~Workers() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    for (std::thread& t : threads_) t.join();
  }

  void Run(std::vector<std::function<void()>>& tasks) {
    {
      absl::MutexLock lock(&mu_);
      tasks_ = &tasks;
      next_ = 0;
      left_ = tasks.size();
    }
    Drain();
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](size_t* left) { return *left == 0; }, &left_));
    tasks_ = nullptr;
  }

 private:
  // Takes tasks of the current round until none is left to start.
  void Drain() {
    for (;;) {
      std::function<void()>* task = nullptr;
      {
        absl::MutexLock lock(&mu_);
        if (tasks_ == nullptr || next_ >= tasks_->size()) return;
        task = &(*tasks_)[next_++];
      }
      (*task)();
      absl::MutexLock lock(&mu_);
      --left_;
    }
  }

  void Work() {
    for (;;) {
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return stop_ || (tasks_ != nullptr && next_ < tasks_->size());
        };
        mu_.Await(absl::Condition(&ready));
        if (stop_) return;
      }
      Drain();
    }
  }

  absl::Mutex mu_;
  std::vector<std::function<void()>>* tasks_ ABSL_GUARDED_BY(mu_) = nullptr;
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
  size_t left_ ABSL_GUARDED_BY(mu_) = 0;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;  // last: joined first
};

// Messages of a partition waiting for a retry (the partition is paused).
struct Waiting {
  std::vector<IncomingMessage> messages;
  int attempts = 0;  // failures of messages.front()
  absl::Time retry_at;
};

class RdKafkaConsumer;

// Assignment changes arrive on the consuming thread (inside consume()).
class Rebalancer final : public RdKafka::RebalanceCb {
 public:
  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override;
  RdKafkaConsumer* owner = nullptr;
};

class RdKafkaConsumer final : public Consumer {
 public:
  RdKafkaConsumer(ConsumerOptions options, BatchHandler handler, Producer* dlq,
                  std::unique_ptr<Rebalancer> rebalancer,
                  std::unique_ptr<RdKafka::KafkaConsumer> consumer)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        dlq_(dlq),
        rebalancer_(std::move(rebalancer)),
        consumer_(std::move(consumer)) {
    rebalancer_->owner = this;
    thread_ = std::thread([this] {
      log::NameThisThread("kafka-consumer");
      Run();
    });
  }

  ~RdKafkaConsumer() override { Stop(); }

  void Stop() override {
    if (stopped_.exchange(true)) return;
    stop_.store(true);
    thread_.join();
    Close();
  }

  int64_t handled() const override { return handled_.load(); }
  int64_t dead_lettered() const override { return dead_lettered_.load(); }

  // On the consuming thread, from Rebalancer.
  void Revoked(const std::vector<RdKafka::TopicPartition*>& partitions) {
    for (const RdKafka::TopicPartition* p : partitions) {
      const PartitionKey key{p->topic(), p->partition()};
      // The next owner starts from the committed offset: what waited here
      // is handled there, and answers of this round for it are dropped.
      ++epoch_[key];
      waiting_.erase(key);
      next_offset_.erase(key);
      committed_.erase(key);
      // Kept, not removed: another consumer of the process may share it.
      if (auto it = lag_.find(key); it != lag_.end()) it->second->Set(0);
    }
  }

  void Assigned(const std::vector<RdKafka::TopicPartition*>& partitions) {
    for (const RdKafka::TopicPartition* p : partitions) {
      const PartitionKey key{p->topic(), p->partition()};
      ++epoch_[key];
      waiting_.erase(key);
    }
  }

 private:
  // A partition's messages to hand over, and the failures of the first.
  struct Work {
    PartitionKey key;
    std::vector<IncomingMessage> messages;
    int attempts = 0;
    uint64_t epoch = 0;  // the partition's assignment when the messages came
    BatchResult result;
  };

  void Run() {
    absl::Time lag_at = absl::InfinitePast();
    while (!stop_.load()) {
      // Rebalances happen inside Poll: everything below sees the assignment
      // as it is now, and a result for a partition revoked meanwhile is
      // dropped by its epoch.
      std::vector<Work> polled;
      for (auto& [key, messages, epoch] : Poll()) {
        if (epoch != epoch_[key]) continue;  // revoked during the poll
        if (auto it = waiting_.find(key); it != waiting_.end()) {
          // A waiting partition is paused; what came before the pause waits too.
          for (auto& m : messages) it->second.messages.push_back(std::move(m));
          continue;
        }
        polled.push_back(Work{key, std::move(messages), 0, epoch, {}});
      }
      std::vector<Work> work = TakeDue();
      for (Work& w : polled) work.push_back(std::move(w));
      if (!work.empty() && !stop_.load()) {
        if (options_.kafka.merge_partitions && work.size() > 1) {
          // Retries run alone: a failure is only ever charged to a
          // partition from a call of its own.
          std::vector<Work*> fresh, retries;
          for (Work& w : work) (w.attempts == 0 ? fresh : retries).push_back(&w);
          HandleMerged(fresh);
          if (!retries.empty()) HandleEach(retries);
        } else {
          HandleEach(work);
        }
        for (Work& w : work) Apply(std::move(w));
      }
      if (absl::Now() - lag_at >= kLagInterval) {
        lag_at = absl::Now();
        UpdateLag();
      }
    }
  }

  // A handler must not throw; if one does, the batch is retried.
  BatchResult Call(const std::vector<IncomingMessage>& messages) {
    try {
      return handler_(messages);
    } catch (const std::exception& e) {
      return BatchResult{0, absl::InternalError(absl::StrCat("handler threw: ", e.what()))};
    }
  }

  // Each partition's batch on its own, up to `threads` at once.
  void HandleEach(std::vector<Work>& work) {
    std::vector<Work*> all;
    for (Work& w : work) all.push_back(&w);
    HandleEach(all);
  }
  void HandleEach(const std::vector<Work*>& work) {
    std::vector<std::function<void()>> tasks;
    tasks.reserve(work.size());
    for (Work* w : work) tasks.emplace_back([this, w] { w->result = Call(w->messages); });
    workers_.Run(tasks);
  }

  // KafkaOptions::merge_partitions: the fresh batches of every partition
  // in one handler call (one transaction instead of one per partition),
  // each partition's messages in order, one partition after the other. The
  // partitions wholly within the handled prefix are handled; every other
  // one (past the prefix's end: its unhandled rest) runs again on its own at
  // once, so a failure is charged only to the partition that fails alone,
  // as without merging, and no handled message is handed over again.
  void HandleMerged(const std::vector<Work*>& work) {
    if (work.size() == 1) return HandleEach(work);
    if (work.empty()) return;
    std::vector<IncomingMessage> merged;
    std::vector<std::pair<size_t, size_t>> ranges;
    for (Work* w : work) {
      const size_t start = merged.size();
      for (IncomingMessage& m : w->messages) merged.push_back(std::move(m));
      ranges.emplace_back(start, merged.size());
    }
    const BatchResult r = Call(merged);
    const size_t handled = r.status.ok() ? merged.size() : std::min(r.handled, merged.size());
    std::vector<Work*> again;
    // The partition whose batch the handled prefix ends in: its handled
    // messages (committed by the handler) are set aside while the rest
    // runs alone, and counted as handled in front of that answer.
    Work* split = nullptr;
    std::vector<IncomingMessage> split_done;
    for (size_t i = 0; i < work.size(); ++i) {
      Work& w = *work[i];
      const auto [start, end] = ranges[i];
      w.messages.clear();
      for (size_t j = start; j < end; ++j) {
        (j < handled && handled < end ? split_done : w.messages).push_back(std::move(merged[j]));
      }
      if (handled >= end) {
        w.result = BatchResult{w.messages.size(), absl::OkStatus()};
        continue;
      }
      if (handled > start) split = &w;
      again.push_back(&w);
    }
    HandleEach(again);
    if (split != nullptr) {
      const size_t done = split_done.size();
      for (IncomingMessage& m : split->messages) split_done.push_back(std::move(m));
      split->messages = std::move(split_done);
      if (split->result.status.ok()) {
        split->result.handled = split->messages.size();
      } else {
        split->result.handled = done + std::min(split->result.handled, split->messages.size() - done);
      }
    }
  }

  // The waiting partitions whose retry is due (they stay paused, marked in
  // waiting_ with no messages, until Apply settles them).
  std::vector<Work> TakeDue() {
    std::vector<Work> due;
    const absl::Time now = absl::Now();
    for (auto& [key, w] : waiting_) {
      if (w.retry_at > now || w.messages.empty()) continue;
      due.push_back(Work{key, std::move(w.messages), w.attempts, epoch_[key], {}});
      w.messages.clear();
      w.retry_at = absl::InfiniteFuture();
    }
    return due;
  }

  // Up to batch_size messages, grouped by partition in arrival order.
  struct Polled {
    PartitionKey key;
    std::vector<IncomingMessage> messages;
    uint64_t epoch;
  };
  std::vector<Polled> Poll() {
    std::vector<Polled> groups;
    std::map<PartitionKey, size_t> index;
    absl::Duration wait = kPollWait;
    for (const auto& [key, w] : waiting_) {
      wait = std::min(wait, std::max(absl::ZeroDuration(), w.retry_at - absl::Now()));
    }
    int timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(wait));
    const int max = std::max(1, options_.kafka.consumer_batch_size) * std::max(1, options_.kafka.consumer_threads);
    for (int n = 0; n < max; ++n) {
      std::unique_ptr<RdKafka::Message> m(consumer_->consume(timeout_ms));
      timeout_ms = 0;  // the rest of the batch only from what is already fetched
      if (m == nullptr) break;
      if (m->err() == RdKafka::ERR__TIMED_OUT || m->err() == RdKafka::ERR__PARTITION_EOF) break;
      if (m->err() != RdKafka::ERR_NO_ERROR) {
        log::Warn("kafka_consume_error", {{"error", m->errstr()}});
        break;
      }
      IncomingMessage in = ToIncoming(*m);
      const PartitionKey key{in.topic, in.partition};
      auto [it, fresh] = index.emplace(key, groups.size());
      if (fresh || groups[it->second].epoch != epoch_[key]) {
        // A partition reassigned within this poll starts a group of its own.
        index[key] = groups.size();
        groups.push_back({key, {}, epoch_[key]});
      }
      groups[index[key]].messages.push_back(std::move(in));
    }
    return groups;
  }

  // Settles a handler's answer for one partition on the consuming thread:
  // stores the offsets of what was handled, dead-letters or schedules the
  // rest (the partition paused meanwhile), or resumes the partition.
  void Apply(Work w) {
    if (w.epoch != epoch_[w.key]) return;  // revoked since: the next owner handles it
    const BatchResult& r = w.result;
    std::vector<IncomingMessage>& messages = w.messages;
    // A handler that answered OK handled them all.
    const size_t handled = r.status.ok() ? messages.size() : std::min(r.handled, messages.size());
    if (handled > 0) {
      Store(messages[handled - 1]);
      handled_.fetch_add(static_cast<int64_t>(handled));
      messages.erase(messages.begin(), messages.begin() + static_cast<std::ptrdiff_t>(handled));
      w.attempts = 0;
    }
    if (messages.empty()) {
      Settled(w.key);
      return;
    }
    const IncomingMessage& failing = messages.front();
    const int attempts = w.attempts + 1;
    log::Warn("kafka_handler_failed", {{"topic", failing.topic},
                                       {"partition", failing.partition},
                                       {"offset", failing.offset},
                                       {"attempt", attempts},
                                       {"code", absl::StatusCodeToString(r.status.code())},
                                       {"error", r.status.message()}});
    const bool unreadable = r.status.code() == absl::StatusCode::kInvalidArgument;
    const bool give_up = unreadable || (!IsTransient(r.status) && attempts >= options_.max_attempts);
    absl::Time retry_at;
    int next_attempts = attempts;
    if (give_up && dlq_ != nullptr && DeadLetter(failing, r.status)) {
      Store(failing);
      messages.erase(messages.begin());
      if (messages.empty()) {
        Settled(w.key);
        return;
      }
      next_attempts = 0;
      retry_at = absl::Now();  // the rest at once
    } else {
      absl::Duration backoff = options_.initial_backoff;
      for (int i = 1; i < attempts && backoff < options_.max_backoff; ++i) backoff *= 2;
      retry_at = absl::Now() + std::min(backoff, options_.max_backoff);
    }
    // Other partitions go on meanwhile. Anything that reached the waiting
    // entry since (messages fetched before the pause) comes after these.
    auto it = waiting_.find(w.key);
    const bool paused = it != waiting_.end();
    if (paused) {
      for (auto& m : it->second.messages) messages.push_back(std::move(m));
    }
    waiting_[w.key] = Waiting{std::move(messages), next_attempts, retry_at};
    if (!paused) SetPaused(w.key, true);
  }

  // Everything handed over for `key` was handled: resume it, unless
  // messages reached its waiting entry meanwhile (they go next, at once).
  void Settled(const PartitionKey& key) {
    auto it = waiting_.find(key);
    if (it == waiting_.end()) return;
    if (!it->second.messages.empty()) {
      it->second.attempts = 0;
      it->second.retry_at = absl::Now();
      return;
    }
    waiting_.erase(it);
    SetPaused(key, false);
  }

  void SetPaused(const PartitionKey& key, bool paused) {
    std::vector<RdKafka::TopicPartition*> parts = {
        RdKafka::TopicPartition::create(key.first, key.second)};
    const RdKafka::ErrorCode err = paused ? consumer_->pause(parts) : consumer_->resume(parts);
    if (err != RdKafka::ERR_NO_ERROR) {
      log::Warn("kafka_pause_failed", {{"topic", key.first}, {"error", RdKafka::err2str(err)}});
    }
    RdKafka::TopicPartition::destroy(parts);
  }

  bool DeadLetter(const IncomingMessage& in, const absl::Status& status) {
    OutgoingMessage out{in.topic + ".dlq", in.key, in.value, in.headers};
    out.headers.emplace_back("agora-dlq-error", std::string(status.message()));
    out.headers.emplace_back("agora-dlq-source",
                             absl::StrCat(in.topic, "/", in.partition, "/", in.offset));
    std::vector<absl::Status> sent = dlq_->SendAndWait({out}, absl::Seconds(10));
    if (!sent[0].ok()) return false;
    dead_lettered_.fetch_add(1);
    Metrics().dead_letters.Add({{"topic", in.topic}}).Increment();
    log::Error("kafka_message_dead_lettered", {{"topic", in.topic},
                                               {"partition", in.partition},
                                               {"offset", in.offset},
                                               {"error", status.message()}});
    return true;
  }

  void Store(const IncomingMessage& m) {
    std::vector<RdKafka::TopicPartition*> offsets = {
        RdKafka::TopicPartition::create(m.topic, m.partition, m.offset + 1)};
    consumer_->offsets_store(offsets);
    RdKafka::TopicPartition::destroy(offsets);
    next_offset_[{m.topic, m.partition}] = m.offset + 1;
  }

  void UpdateLag() {
    std::vector<RdKafka::TopicPartition*> parts;
    if (consumer_->assignment(parts) != RdKafka::ERR_NO_ERROR) return;
    consumer_->position(parts);
    for (const RdKafka::TopicPartition* p : parts) {
      const PartitionKey key{p->topic(), p->partition()};
      int64_t low = 0;
      int64_t high = 0;
      if (consumer_->get_watermark_offsets(p->topic(), p->partition(), &low, &high) !=
              RdKafka::ERR_NO_ERROR ||
          high < 0) {
        continue;
      }
      int64_t next = p->offset();
      if (auto it = next_offset_.find(key); it != next_offset_.end()) next = it->second;
      if (auto it = waiting_.find(key); it != waiting_.end() && !it->second.messages.empty()) {
        next = it->second.messages.front().offset;
      }
      // Nothing consumed here yet: from the group's committed offset, else
      // where auto.offset.reset starts a new group.
      if (next < 0) {
        next = CommittedOffset(key);
        if (next < 0) next = options_.auto_offset_reset == "earliest" ? low : high;
      }
      prometheus::Gauge*& g = lag_[key];
      if (g == nullptr) {
        g = &Metrics().lag.Add({{"group", options_.group_id},
                                {"topic", key.first},
                                {"partition", absl::StrCat(key.second)}});
      }
      g->Set(static_cast<double>(std::max<int64_t>(0, high - next)));
    }
    RdKafka::TopicPartition::destroy(parts);
  }

  // The group's committed offset of a partition (asked once per assignment;
  // negative when the group has none).
  int64_t CommittedOffset(const PartitionKey& key) {
    if (auto it = committed_.find(key); it != committed_.end()) return it->second;
    std::vector<RdKafka::TopicPartition*> parts = {RdKafka::TopicPartition::create(key.first, key.second)};
    int64_t offset = -1;
    if (consumer_->committed(parts, 500) == RdKafka::ERR_NO_ERROR) {
      offset = parts[0]->offset();
      committed_[key] = offset;  // a timeout is asked again next time
    }
    RdKafka::TopicPartition::destroy(parts);
    return offset;
  }

  const ConsumerOptions options_;
  BatchHandler handler_;
  Producer* dlq_;
  // Consuming thread only:
  std::map<PartitionKey, Waiting> waiting_;
  std::map<PartitionKey, int64_t> next_offset_;
  std::map<PartitionKey, int64_t> committed_;
  std::map<PartitionKey, uint64_t> epoch_;
  std::map<PartitionKey, prometheus::Gauge*> lag_;
  Workers workers_{std::max(1, options_.kafka.consumer_threads)};
  std::unique_ptr<Rebalancer> rebalancer_;
  // Commits stored offsets and leaves the group, for at most
  // options_.close_timeout: librdkafka's own close waits without end for a
  // group coordinator that is gone (a broker killed first), and a process
  // told to stop must stop. Past the bound the handle is destroyed without
  // leaving (the destructor passes RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE):
  // offsets stored since the last auto-commit are then not committed and
  // those messages come again to the next owner, which the inbox absorbs.
  void Close() {
    rd_kafka_t* rk = consumer_->c_ptr();
    rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
    if (rd_kafka_error_t* error = rd_kafka_consumer_close_queue(rk, queue); error != nullptr) {
      log::Warn("kafka_consumer_close_failed", {{"group", options_.group_id},
                                                {"error", rd_kafka_error_string(error)}});
      rd_kafka_error_destroy(error);
      rd_kafka_queue_destroy(queue);
      return;
    }
    const absl::Time deadline = absl::Now() + options_.close_timeout;
    while (rd_kafka_consumer_closed(rk) == 0 && absl::Now() < deadline) {
      rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 50);
      if (event == nullptr) continue;
      // The group's last rebalance comes here instead of the callback: give
      // the partitions up (an assignment at this point is refused the same way).
      if (rd_kafka_event_type(event) == RD_KAFKA_EVENT_REBALANCE) rd_kafka_assign(rk, nullptr);
      rd_kafka_event_destroy(event);
    }
    if (rd_kafka_consumer_closed(rk) == 0) {
      log::Warn("kafka_consumer_close_timed_out",
                {{"group", options_.group_id},
                 {"timeout_ms", std::to_string(absl::ToInt64Milliseconds(options_.close_timeout))}});
    }
    rd_kafka_queue_destroy(queue);
  }

  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<int64_t> handled_{0};
  std::atomic<int64_t> dead_lettered_{0};
  std::thread thread_;  // last: joined first
};

void Rebalancer::rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                              std::vector<RdKafka::TopicPartition*>& partitions) {
  if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
    if (owner != nullptr) owner->Assigned(partitions);
    consumer->assign(partitions);
    // A partition paused here before a rebalance stays paused in librdkafka.
    consumer->resume(partitions);
    return;
  }
  if (owner != nullptr) owner->Revoked(partitions);
  consumer->unassign();
}

// The single-message handler as a batch handler.
BatchHandler OneByOne(Handler handler) {
  return [handler = std::move(handler)](const std::vector<IncomingMessage>& batch) {
    BatchResult r;
    for (const IncomingMessage& m : batch) {
      r.status = handler(m);
      if (!r.status.ok()) return r;
      ++r.handled;
    }
    return r;
  };
}

}  // namespace

absl::StatusOr<std::unique_ptr<Consumer>> StartBatchConsumer(const ConsumerOptions& options,
                                                             BatchHandler handler, Producer* dlq) {
  if (options.group_id.empty()) return absl::InvalidArgumentError("kafka consumer needs a group id");
  if (options.topics.empty()) return absl::InvalidArgumentError("kafka consumer needs topics");
  std::map<std::string, std::string> props = CommonProperties(options.kafka);
  props["group.id"] = options.group_id;
  props["enable.auto.commit"] = "true";
  props["enable.auto.offset.store"] = "false";  // stored only after the handler succeeded
  props["auto.commit.interval.ms"] = "200";
  props["auto.offset.reset"] = options.auto_offset_reset;
  props["fetch.wait.max.ms"] = absl::StrCat(options.kafka.fetch_wait_max_ms);
  props["session.timeout.ms"] = absl::StrCat(options.kafka.session_timeout_ms);
  props["heartbeat.interval.ms"] = absl::StrCat(options.kafka.heartbeat_interval_ms);
  props["max.poll.interval.ms"] = absl::StrCat(options.kafka.max_poll_interval_ms);
  props["isolation.level"] = "read_committed";
  // A subscribed topic that does not exist yet is created (the dev broker
  // creates it; a production cluster may refuse, then topics come from its
  // operator).
  props["allow.auto.create.topics"] = "true";
  // Settings given through KafkaOptions::extra win.
  for (const auto& [k, v] : options.kafka.extra) props[k] = v;
  absl::StatusOr<std::unique_ptr<RdKafka::Conf>> conf = BuildConf(props);
  if (!conf.ok()) return conf.status();
  auto rebalancer = std::make_unique<Rebalancer>();
  std::string err;
  if ((*conf)->set("rebalance_cb", rebalancer.get(), err) != RdKafka::Conf::CONF_OK) {
    return absl::InvalidArgumentError(err);
  }
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf->get(), err));
  if (consumer == nullptr) return absl::InvalidArgumentError(absl::StrCat("kafka consumer: ", err));
  if (RdKafka::ErrorCode e = consumer->subscribe(options.topics); e != RdKafka::ERR_NO_ERROR) {
    return absl::InvalidArgumentError(absl::StrCat("kafka subscribe: ", RdKafka::err2str(e)));
  }
  // Each topic's dead-letter count exists (at 0) before its first dead letter.
  for (const std::string& topic : options.topics) Metrics().dead_letters.Add({{"topic", topic}});
  return std::unique_ptr<Consumer>(new RdKafkaConsumer(
      options, std::move(handler), dlq, std::move(rebalancer), std::move(consumer)));
}

absl::StatusOr<std::unique_ptr<Consumer>> StartConsumer(const ConsumerOptions& options,
                                                        Handler handler, Producer* dlq) {
  return StartBatchConsumer(options, OneByOne(std::move(handler)), dlq);
}

}  // namespace agora::runtime::kafka
