#include "tests/support/participant_fixture.h"

#include <catch2/catch.hpp>

#include "runtime/idempotency/request_keys.h"
#include "runtime/messaging/migrations.h"

namespace agora::testing {

ParticipantFixture::ParticipantFixture(const std::string& service,
                                       const std::vector<runtime::pg::Migration>& migrations,
                                       int batch_size)
    : service_(service), prefix_(UniqueName("p") + "."), batch_size_(batch_size), db_(service) {
  REQUIRE(runtime::pg::ApplyMigrations(
              db_.ServiceOptions(),
              {{"messaging", &runtime::messaging::MessagingMigrations()},
               {"request_keys", &runtime::idempotency::RequestKeyMigrations()},
               {service, &migrations}})
              .ok());
  pool_ = std::make_unique<runtime::pg::Pool>(db_.ServiceOptions(), 8);
  auto producer = runtime::kafka::NewProducer(TestKafkaOptions());
  REQUIRE(producer.ok());
  producer_ = std::move(*producer);
  wire_ = std::make_unique<SagaWire>(prefix_);
}

ParticipantFixture::~ParticipantFixture() { Stop(); }

void ParticipantFixture::Start(
    const std::function<void(runtime::messaging::CommandHandler&)>& register_effects) {
  runtime::messaging::MessagingConfig config;
  config.topics.prefix = prefix_;
  config.command_group = UniqueName(service_);
  config.relay.poll_interval = absl::Milliseconds(200);
  handler_ = std::make_unique<runtime::messaging::CommandHandler>(*pool_, config.topics.Replies());
  register_effects(*handler_);
  relay_ = std::make_unique<runtime::messaging::OutboxRelay>(*pool_, *producer_, config.relay);
  runtime::kafka::KafkaOptions kafka = TestKafkaOptions();
  kafka.consumer_batch_size = batch_size_;
  auto participant = runtime::messaging::Participant::Start(service_, *pool_, kafka, config,
                                                            *handler_, producer_.get());
  REQUIRE(participant.ok());
  participant_ = std::move(*participant);
  relay_->Start();
}

void ParticipantFixture::Stop() {
  if (participant_ != nullptr) participant_->Stop();
  if (relay_ != nullptr) relay_->Stop();
}

}  // namespace agora::testing
