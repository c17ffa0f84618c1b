#pragma once

// A saga participant in the test process, wired as its main wires it: a
// fresh database with the service's schema, the store's pool, a
// CommandHandler with the service's effects, the outbox relay publishing the
// replies, and the command consumer (runtime::messaging::Participant), all
// under a topic prefix of its own on the run's dev broker, with a SagaWire
// to talk to it.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/kafka/producer.h"
#include "runtime/messaging/participant.h"
#include "runtime/pg/migrations.h"
#include "runtime/pg/pool.h"
#include "tests/support/infra.h"
#include "tests/support/saga_wire.h"

namespace agora::testing {

class ParticipantFixture final {
 public:
  // `service`: "inventory", "customers" or "orders"; `migrations`: its own.
  ParticipantFixture(const std::string& service, const std::vector<runtime::pg::Migration>& migrations,
                     int batch_size = 64);
  ~ParticipantFixture();

  // Registers the effects (with the service's store, made on pool()), then
  // starts the relay and the consumer.
  void Start(const std::function<void(runtime::messaging::CommandHandler&)>& register_effects);
  // Stops the consumer and the relay (as a drain does).
  void Stop();

  const TestDatabase& db() const { return db_; }
  runtime::pg::Pool& pool() { return *pool_; }
  SagaWire& wire() { return *wire_; }
  const std::string& prefix() const { return prefix_; }
  // SELECT as the superuser, first column of the first row.
  std::string Query(const std::string& sql) const { return db_.QueryAsSuper(sql); }

 private:
  const std::string service_;
  const std::string prefix_;
  const int batch_size_;
  TestDatabase db_;
  std::unique_ptr<runtime::pg::Pool> pool_;
  std::unique_ptr<runtime::kafka::Producer> producer_;
  std::unique_ptr<runtime::messaging::CommandHandler> handler_;
  std::unique_ptr<runtime::messaging::OutboxRelay> relay_;
  std::unique_ptr<runtime::messaging::Participant> participant_;
  std::unique_ptr<SagaWire> wire_;
};

}  // namespace agora::testing
