#include "runtime/messaging/participant.h"

#include <utility>

#include "runtime/log/log.h"

namespace agora::runtime::messaging {

void ReadMessagingConfig(config::Reader& r, const std::string& service, MessagingConfig* out) {
  ReadTopics(r, &out->topics);
  r.Int("AGORA_OUTBOX_BATCH_SIZE", 256, 1, 10000, &out->relay.batch_size,
        "outbox rows the relay publishes per transaction");
  r.Int("AGORA_OUTBOX_MAX_ATTEMPTS", 10, 1, 1000, &out->relay.max_attempts,
        "refusals of a message of its own (too large, topic refused) before it moves to outbox_dead");
  r.Duration("AGORA_OUTBOX_MAX_BACKOFF", absl::Seconds(10), absl::Milliseconds(10), absl::Hours(1),
             &out->relay.max_backoff, "longest wait before a failed outbox row is sent again");
  r.Duration("AGORA_INBOX_WINDOW", absl::Hours(1), absl::Minutes(1), absl::Hours(24 * 90),
             &out->inbox.window, "inbox rows younger than this are always kept (dedupe window)");
  r.Duration("AGORA_INBOX_MAX_AGE", absl::Hours(24 * 7), absl::Minutes(1), absl::Hours(24 * 365),
             &out->inbox.max_age, "inbox rows older than this are removed");
  r.Int("AGORA_INBOX_MAX_ROWS", int64_t{1000000}, int64_t{1000}, int64_t{1} << 40,
        &out->inbox.max_rows, "inbox rows kept at most, outside the dedupe window");
  r.String("AGORA_SAGA_COMMAND_GROUP", out->topics.Group(service), &out->command_group,
           "consumer group of this service's saga commands (default: the topic prefix and the service's name)");
  r.Bool("AGORA_UNSAFE_SKIP_DEDUPE", false, &out->unsafe_skip_dedupe,
         "FAULT INJECTION for ./agora chaos --broken-participant: duplicate commands take effect again; "
         "never in production");
}

Participant::Participant(std::unique_ptr<InboxPruner> pruner,
                         std::unique_ptr<kafka::Consumer> consumer)
    : pruner_(std::move(pruner)), consumer_(std::move(consumer)) {}

Participant::~Participant() { Stop(); }

absl::StatusOr<std::unique_ptr<Participant>> Participant::Start(
    const std::string& service, pg::Pool& pool, const kafka::KafkaOptions& kafka,
    const MessagingConfig& config, CommandHandler& handler, kafka::Producer* dlq) {
  kafka::ConsumerOptions options;
  options.kafka = kafka;
  options.group_id = config.command_group;
  options.topics = {config.topics.Commands(service)};
  if (config.unsafe_skip_dedupe) {
    log::Error("unsafe_skip_dedupe_on", {{"service", service},
                                         {"effect", "duplicate saga commands take effect again (chaos test)"}});
  }
  handler.UnsafeSkipInbox(config.unsafe_skip_dedupe);
  auto pruner = std::make_unique<InboxPruner>(pool, config.inbox);
  absl::StatusOr<std::unique_ptr<kafka::Consumer>> consumer = kafka::StartBatchConsumer(
      options, [&handler](const std::vector<kafka::IncomingMessage>& batch) { return handler.Handle(batch); },
      dlq);
  if (!consumer.ok()) return consumer.status();
  pruner->Start();
  return std::unique_ptr<Participant>(new Participant(std::move(pruner), *std::move(consumer)));
}

void Participant::Stop() {
  if (consumer_ != nullptr) consumer_->Stop();
  if (pruner_ != nullptr) pruner_->Stop();
}

}  // namespace agora::runtime::messaging
