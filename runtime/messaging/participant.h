#pragma once

// The messaging settings every service reads the same way (topics, relay,
// inbox, the saga-command consumer group), and a saga participant: the
// consumer of the service's command topic feeding its CommandHandler, and
// the inbox pruner. The outbox relay that publishes the replies is the
// service's own (one per schema, shared with its events).

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "runtime/config/config.h"
#include "runtime/kafka/consumer.h"
#include "runtime/kafka/options.h"
#include "runtime/messaging/command_handler.h"
#include "runtime/messaging/inbox_pruner.h"
#include "runtime/messaging/relay.h"
#include "runtime/messaging/topics.h"
#include "runtime/pg/pool.h"

namespace agora::runtime::messaging {

struct MessagingConfig {
  Topics topics;
  RelayOptions relay;
  InboxRetention inbox;
  // The consumer group of the service's saga commands (default: the topic
  // prefix and its name, Topics::Group).
  std::string command_group;
  // AGORA_UNSAFE_SKIP_DEDUPE: fault injection for ./agora chaos
  // --broken-participant (CommandHandler::UnsafeSkipInbox). Never in production.
  bool unsafe_skip_dedupe = false;
};

// Reads AGORA_KAFKA_TOPIC_PREFIX, AGORA_OUTBOX_*, AGORA_INBOX_* and
// AGORA_SAGA_COMMAND_GROUP, AGORA_UNSAFE_SKIP_DEDUPE.
void ReadMessagingConfig(config::Reader& reader, const std::string& service, MessagingConfig* out);

class Participant final {
 public:
  // Consumes Topics::Commands(service) as config.command_group into
  // `handler`; `pool`, `handler` and `dlq` are borrowed and must outlive
  // the participant.
  static absl::StatusOr<std::unique_ptr<Participant>> Start(const std::string& service,
                                                            pg::Pool& pool,
                                                            const kafka::KafkaOptions& kafka,
                                                            const MessagingConfig& config,
                                                            CommandHandler& handler,
                                                            kafka::Producer* dlq);
  ~Participant();

  // Finishes the batch in hand, commits its offsets, leaves the group,
  // stops pruning. Idempotent.
  void Stop();

  const kafka::Consumer& consumer() const { return *consumer_; }

 private:
  Participant(std::unique_ptr<InboxPruner> pruner, std::unique_ptr<kafka::Consumer> consumer);

  std::unique_ptr<InboxPruner> pruner_;
  std::unique_ptr<kafka::Consumer> consumer_;  // last: stops first
};

}  // namespace agora::runtime::messaging
