#pragma once

// The saga coordinator's message handling: consumes agora.orders.events and
// agora.saga.replies and, for a batch of one partition in ONE PostgreSQL
// transaction, checks each message against the inbox, locks the sagas it
// touches (all of them up front, in id order), applies the state machine,
// saves each saga and appends the commands it sends to the outbox (the
// relay publishes them). Offsets are stored after the commit.
//
//   OrderCreated          starts the order's PLACE_ORDER saga (once per
//                         order: a unique key), applying a cancel that came
//                         first
//   OrderCancelRequested  applied to the PLACE_ORDER saga; one that comes
//                         before the saga is kept until it starts; the
//                         CANCEL_ORDER saga starts when the state machine
//                         asks for it
//   StepReply             applied to the saga of its envelope's saga id
//
// A batch's new sagas are inserted in one statement at its end, with their
// early cancels taken in one statement up front; should another coordinator
// have started one of them meanwhile, the batch is redone one message at a
// time.
//
// ScanDeadlines re-applies sagas whose deadline passed (FOR UPDATE SKIP
// LOCKED: several coordinators share the scan). Metrics: saga/metrics.h
// (counted in the transaction, so a retried batch may count twice).
// Thread-safe.

#include <functional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "runtime/idempotency/request_keys.h"
#include "runtime/kafka/consumer.h"
#include "runtime/messaging/envelope.h"
#include "runtime/messaging/outbox.h"
#include "runtime/messaging/topics.h"
#include "runtime/pg/pool.h"
#include "saga/definition.h"
#include "saga/pg_store.h"
#include "saga/state_machine.h"

namespace agora::saga {

struct CoordinatorOptions {
  runtime::messaging::Topics topics;
  SagaDefinition place_order = PlaceOrder();
  SagaDefinition cancel_order = CancelOrder();
  // Test seam: runs inside a batch's transaction after its messages were
  // handled and before the sagas it started are inserted.
  std::function<void()> before_insert;
};

// The id of `order_id`'s saga of `type`: derived from both (a name-based
// UUID), so that the id of a saga that has not started yet is known (the
// saga service shows such a saga as starting) and a second start of the same
// saga collides on its id as on the (order, type) key.
std::string SagaIdFor(const std::string& order_id, SagaType type);

// The command `send` of `saga` as an outbox message: its participant's
// topic, keyed by order id, the envelope carrying the send's message id, the
// saga's id and the cause.
runtime::messaging::OutboxMessage CommandMessage(const runtime::messaging::Topics& topics,
                                                 const Saga& saga, const Send& send,
                                                 const std::string& causation_id,
                                                 const std::string& traceparent);

class Coordinator final {
 public:
  // `pool` and `store` are borrowed; `clock` and `ids` injectable for tests.
  Coordinator(runtime::pg::Pool& pool, PgStore& store, CoordinatorOptions options,
              std::function<absl::Time()> clock, IdSource ids);

  // The consumer's batch handler (kafka::BatchHandler). Thread-safe.
  runtime::kafka::BatchResult Handle(const std::vector<runtime::kafka::IncomingMessage>& batch);

  // One pass over up to `limit` sagas whose deadline passed; how many.
  absl::StatusOr<int> ScanDeadlines(int limit);
  // Refreshes the in-flight and oldest-running gauges.
  absl::Status UpdateGauges();

  // An operator's Retry or Abort of saga `saga_id`, applied and persisted
  // with its commands in one transaction; the saga as it is after.
  // NOT_FOUND for an unknown id, FAILED_PRECONDITION when the saga refuses
  // (ended; for an abort, ApproveOrder already sent). With a key (API.md's
  // Idempotency-Key), a repeat changes nothing and answers the saga as the
  // first call left it.
  absl::StatusOr<Saga> Operate(const std::string& saga_id, const Input& input,
                               const runtime::idempotency::RequestKey& key);

 private:
  // What one batch's transaction holds: the sagas it locked up front, kept
  // current as it starts and changes them, and the message ids new to the
  // inbox (each handled once).
  struct Batch;
  void HandleOne(runtime::pg::Tx& tx, const runtime::messaging::Envelope& envelope, Batch& batch);
  // Saves the transition's saga and appends its commands; starts the cancel
  // saga when asked. `batch` (may be null) learns the sagas saved.
  void Persist(runtime::pg::Tx& tx, const Saga& before, const Transition& t,
               const std::string& causation_id, const std::string& traceparent, Batch* batch = nullptr);
  void StartSaga(runtime::pg::Tx& tx, const SagaDefinition& def, const OrderData& order,
                 const std::string& causation_id, const std::string& traceparent, bool cancel_first,
                 Batch* batch = nullptr);
  const SagaDefinition& DefinitionOf(SagaType type) const;

  runtime::pg::Pool& pool_;
  PgStore& store_;
  const CoordinatorOptions options_;
  std::function<absl::Time()> clock_;
  IdSource ids_;
};

}  // namespace agora::saga
