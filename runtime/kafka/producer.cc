#include "runtime/kafka/producer.h"

#include <librdkafka/rdkafkacpp.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "runtime/kafka/rdkafka_config.h"
#include "runtime/log/log.h"

namespace agora::runtime::kafka {
namespace {

// Delivery state of one SendAndWait call.
struct Batch {
  absl::Mutex mu;
  std::vector<absl::Status> results ABSL_GUARDED_BY(mu);
  size_t pending ABSL_GUARDED_BY(mu) = 0;
};

struct Slot {
  Batch* batch;
  size_t index;
};

// A refusal of the message itself, which no retry fixes: FAILED_PRECONDITION.
// Everything else (brokers down, leaders moving, timeouts, throttling,
// storage errors, fenced producers) may pass: UNAVAILABLE.
absl::Status DeliveryStatus(const RdKafka::Message& message) {
  const RdKafka::ErrorCode err = message.err();
  if (err == RdKafka::ERR_NO_ERROR) return absl::OkStatus();
  switch (err) {
    case RdKafka::ERR_MSG_SIZE_TOO_LARGE:
    case RdKafka::ERR_INVALID_MSG:
    case RdKafka::ERR_INVALID_MSG_SIZE:
    case RdKafka::ERR_INVALID_RECORD:
    case RdKafka::ERR_RECORD_LIST_TOO_LARGE:
    case RdKafka::ERR_TOPIC_EXCEPTION:
    case RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED:
    case RdKafka::ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RdKafka::ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT:
    case RdKafka::ERR__INVALID_ARG:
      return absl::FailedPreconditionError(
          absl::StrCat("kafka refused the message: ", message.errstr()));
    default:
      return absl::UnavailableError(absl::StrCat("kafka delivery failed: ", message.errstr()));
  }
}

class DeliveryReports final : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    auto* slot = static_cast<Slot*>(message.msg_opaque());
    const absl::Status status = DeliveryStatus(message);
    absl::MutexLock lock(&slot->batch->mu);
    slot->batch->results[slot->index] = status;
    --slot->batch->pending;
  }
};

class RdKafkaProducer final : public Producer {
 public:
  RdKafkaProducer(std::unique_ptr<DeliveryReports> reports, std::unique_ptr<RdKafka::Producer> p,
                  std::vector<std::string> topics)
      : reports_(std::move(reports)), producer_(std::move(p)) {
    poller_ = std::thread([this, topics = std::move(topics)] {
      log::NameThisThread("kafka-delivery");
      FetchMetadata(topics);
      while (!stop_.load()) producer_->poll(50);
    });
  }

  ~RdKafkaProducer() override {
    producer_->flush(5000);
    stop_.store(true);
    poller_.join();
  }

  std::vector<absl::Status> SendAndWait(const std::vector<OutgoingMessage>& messages,
                                        absl::Duration timeout) override {
    Batch batch;
    std::vector<Slot> slots(messages.size());
    {
      absl::MutexLock lock(&batch.mu);
      batch.results.assign(messages.size(), absl::DeadlineExceededError("kafka delivery timed out"));
    }
    const absl::Time deadline = absl::Now() + timeout;
    for (size_t i = 0; i < messages.size(); ++i) {
      const OutgoingMessage& m = messages[i];
      slots[i] = Slot{&batch, i};
      RdKafka::Headers* headers = RdKafka::Headers::create();
      for (const auto& [k, v] : m.headers) headers->add(k, v);
      RdKafka::ErrorCode err;
      for (;;) {
        err = producer_->produce(m.topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                                 const_cast<char*>(m.value.data()), m.value.size(), m.key.data(),
                                 m.key.size(), 0, headers, &slots[i]);
        if (err != RdKafka::ERR__QUEUE_FULL || absl::Now() > deadline) break;
        absl::SleepFor(absl::Milliseconds(5));  // the poller drains the queue
      }
      if (err != RdKafka::ERR_NO_ERROR) {
        delete headers;  // not taken over on failure
        absl::MutexLock lock(&batch.mu);
        const std::string text = absl::StrCat("kafka produce refused: ", RdKafka::err2str(err));
        // A message too large or an invalid topic name is refused for good;
        // anything else (a full queue, an unknown partition) may pass.
        const bool refused = err == RdKafka::ERR_MSG_SIZE_TOO_LARGE ||
                             err == RdKafka::ERR__INVALID_ARG ||
                             err == RdKafka::ERR_TOPIC_EXCEPTION;
        batch.results[i] = refused ? absl::FailedPreconditionError(text) : absl::UnavailableError(text);
        continue;
      }
      absl::MutexLock lock(&batch.mu);
      ++batch.pending;
    }
    absl::MutexLock lock(&batch.mu);
    auto done = [&batch]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(batch.mu) { return batch.pending == 0; };
    if (!batch.mu.AwaitWithDeadline(absl::Condition(&done), deadline)) {
      // The slots are on this stack frame: reports still in flight must not
      // reach them. Purge what is queued and wait for the rest to report
      // (librdkafka reports every message exactly once, within
      // message.timeout.ms).
      batch.mu.Unlock();
      producer_->purge(RdKafka::Producer::PURGE_QUEUE);
      batch.mu.Lock();
      batch.mu.Await(absl::Condition(&done));
      for (auto& r : batch.results) {
        if (!r.ok()) r = absl::DeadlineExceededError("kafka delivery timed out");
      }
    }
    return batch.results;
  }

 private:
  // NewProducer's `topics`: librdkafka keeps what it learns in its metadata
  // cache, where a later send finds it.
  void FetchMetadata(const std::vector<std::string>& topics) {
    for (const std::string& name : topics) {
      if (stop_.load()) return;
      std::string error;
      std::unique_ptr<RdKafka::Topic> topic(RdKafka::Topic::create(producer_.get(), name, nullptr, error));
      RdKafka::Metadata* metadata = nullptr;
      const RdKafka::ErrorCode err =
          topic == nullptr ? RdKafka::ERR__INVALID_ARG
                           : producer_->metadata(false, topic.get(), &metadata, /*timeout_ms=*/2000);
      delete metadata;
      if (err != RdKafka::ERR_NO_ERROR) {
        log::Warn("kafka_topic_metadata_failed",
                  {{"topic", name}, {"error", topic == nullptr ? error : RdKafka::err2str(err)}});
      }
    }
  }

  std::unique_ptr<DeliveryReports> reports_;
  std::unique_ptr<RdKafka::Producer> producer_;
  std::atomic<bool> stop_{false};
  std::thread poller_;  // last: joined first
};

}  // namespace

absl::StatusOr<std::unique_ptr<Producer>> NewProducer(const KafkaOptions& options,
                                                      std::vector<std::string> topics) {
  auto reports = std::make_unique<DeliveryReports>();
  std::map<std::string, std::string> props = CommonProperties(options);
  props["enable.idempotence"] = "true";
  props["acks"] = "all";
  props["linger.ms"] = absl::StrCat(options.linger_ms);
  props["message.timeout.ms"] = absl::StrCat(options.message_timeout_ms);
  absl::StatusOr<std::unique_ptr<RdKafka::Conf>> conf = BuildConf(props);
  if (!conf.ok()) return conf.status();
  std::string err;
  if ((*conf)->set("dr_cb", reports.get(), err) != RdKafka::Conf::CONF_OK) {
    return absl::InvalidArgumentError(err);
  }
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf->get(), err));
  if (producer == nullptr) return absl::InvalidArgumentError(absl::StrCat("kafka producer: ", err));
  return std::unique_ptr<Producer>(
      new RdKafkaProducer(std::move(reports), std::move(producer), std::move(topics)));
}

}  // namespace agora::runtime::kafka
