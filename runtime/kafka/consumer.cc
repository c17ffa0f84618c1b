#include "runtime/kafka/consumer.h"

#include <librdkafka/rdkafkacpp.h>

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "runtime/kafka/rdkafka_config.h"
#include "runtime/log/log.h"

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

IncomingMessage ToIncoming(const RdKafka::Message& m) {
  IncomingMessage in;
  in.topic = m.topic_name();
  in.partition = m.partition();
  in.offset = m.offset();
  if (m.key() != nullptr) in.key = *m.key();
  in.value.assign(static_cast<const char*>(m.payload()), m.len());
  if (const RdKafka::Headers* h = const_cast<RdKafka::Message&>(m).headers(); h != nullptr) {
    for (const RdKafka::Headers::Header& header : h->get_all()) {
      in.headers.emplace_back(header.key(),
                              std::string(static_cast<const char*>(header.value()),
                                          header.value_size()));
    }
  }
  return in;
}

class RdKafkaConsumer final : public Consumer {
 public:
  RdKafkaConsumer(ConsumerOptions options, Handler handler, Producer* dlq,
                  std::unique_ptr<RdKafka::KafkaConsumer> consumer)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        dlq_(dlq),
        consumer_(std::move(consumer)) {
    thread_ = std::thread([this] { Run(); });
  }

  ~RdKafkaConsumer() override { Stop(); }

  void Stop() override {
    if (stopped_.exchange(true)) return;
    stop_.store(true);
    thread_.join();
    consumer_->close();  // commits stored offsets, leaves the group
  }

  int64_t handled() const override { return handled_.load(); }
  int64_t dead_lettered() const override { return dead_lettered_.load(); }

 private:
  void Run() {
    while (!stop_.load()) {
      std::unique_ptr<RdKafka::Message> m(consumer_->consume(100));
      if (m == nullptr) continue;
      switch (m->err()) {
        case RdKafka::ERR_NO_ERROR:
          Handle(*m);
          break;
        case RdKafka::ERR__TIMED_OUT:
        case RdKafka::ERR__PARTITION_EOF:
          break;
        default:
          log::Warn("kafka_consume_error", {{"error", m->errstr()}});
      }
    }
  }

  // Runs the handler until it succeeds, gives up (dead letter) or the
  // consumer stops (then the offset is not stored: the message comes again).
  void Handle(RdKafka::Message& m) {
    const IncomingMessage in = ToIncoming(m);
    absl::Duration backoff = options_.initial_backoff;
    for (int attempt = 1;; ++attempt) {
      absl::Status status = handler_(in);
      if (status.ok()) {
        Store(m);
        handled_.fetch_add(1);
        return;
      }
      const bool give_up = !IsTransient(status) && attempt >= options_.max_attempts && dlq_ != nullptr;
      log::Warn("kafka_handler_failed", {{"topic", in.topic},
                                         {"partition", in.partition},
                                         {"offset", in.offset},
                                         {"attempt", attempt},
                                         {"code", absl::StatusCodeToString(status.code())},
                                         {"error", status.message()}});
      if (give_up && DeadLetter(in, status)) {
        Store(m);
        return;
      }
      const absl::Time until = absl::Now() + backoff;
      while (absl::Now() < until) {
        if (stop_.load()) return;
        absl::SleepFor(absl::Milliseconds(10));
      }
      backoff = std::min(backoff * 2, options_.max_backoff);
    }
  }

  bool DeadLetter(const IncomingMessage& in, const absl::Status& status) {
    OutgoingMessage out{in.topic + ".dlq", in.key, in.value, in.headers};
    out.headers.emplace_back("agora-dlq-error", std::string(status.message()));
    out.headers.emplace_back("agora-dlq-source",
                             absl::StrCat(in.topic, "/", in.partition, "/", in.offset));
    std::vector<absl::Status> sent = dlq_->SendAndWait({out}, absl::Seconds(10));
    if (!sent[0].ok()) return false;
    dead_lettered_.fetch_add(1);
    log::Error("kafka_message_dead_lettered",
               {{"topic", in.topic}, {"partition", in.partition}, {"offset", in.offset}});
    return true;
  }

  void Store(RdKafka::Message& m) {
    std::vector<RdKafka::TopicPartition*> offsets = {
        RdKafka::TopicPartition::create(m.topic_name(), m.partition(), m.offset() + 1)};
    consumer_->offsets_store(offsets);
    RdKafka::TopicPartition::destroy(offsets);
  }

  const ConsumerOptions options_;
  Handler handler_;
  Producer* dlq_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<int64_t> handled_{0};
  std::atomic<int64_t> dead_lettered_{0};
  std::thread thread_;  // last: joined first
};

}  // namespace

absl::StatusOr<std::unique_ptr<Consumer>> StartConsumer(const ConsumerOptions& options,
                                                        Handler handler, Producer* dlq) {
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
  props["isolation.level"] = "read_committed";
  absl::StatusOr<std::unique_ptr<RdKafka::Conf>> conf = BuildConf(props);
  if (!conf.ok()) return conf.status();
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf->get(), err));
  if (consumer == nullptr) return absl::InvalidArgumentError(absl::StrCat("kafka consumer: ", err));
  if (RdKafka::ErrorCode e = consumer->subscribe(options.topics); e != RdKafka::ERR_NO_ERROR) {
    return absl::InvalidArgumentError(absl::StrCat("kafka subscribe: ", RdKafka::err2str(e)));
  }
  return std::unique_ptr<Consumer>(
      new RdKafkaConsumer(options, std::move(handler), dlq, std::move(consumer)));
}

}  // namespace agora::runtime::kafka
