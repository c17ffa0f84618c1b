#pragma once

// The PostgreSQL Store: the only SQL of the orders service.

#include <string>
#include <utility>
#include <vector>

#include "orders/store.h"
#include "runtime/pg/migrations.h"
#include "runtime/pg/pool.h"

namespace agora::orders {

class PgStore final : public Store {
 public:
  // `pool` is borrowed; its connections use the orders schema, whose
  // messaging tables (the outbox) are migrated too. Events go to
  // `events_topic` (Topics::OrderEvents()).
  PgStore(runtime::pg::Pool& pool, std::string events_topic)
      : pool_(pool), events_topic_(std::move(events_topic)) {}

  absl::StatusOr<std::optional<KeyedOrder>> FindByIdempotencyKey(const std::string& customer_id,
                                                                 const std::string& key) override;
  absl::StatusOr<CreateResult> Create(const NewOrder& order,
                                      const EnvelopeContext& context) override;
  absl::StatusOr<Order> Get(const std::string& id) override;
  absl::StatusOr<OrderPage> List(const ListQuery& query) override;
  absl::StatusOr<std::optional<Order>> FindPurchase(const std::string& customer_id,
                                                    const std::string& product_id) override;
  absl::StatusOr<ChangeResult> Apply(const std::string& id, const Change& change,
                                     const std::optional<std::string>& owner,
                                     const EnvelopeContext& context,
                                     const runtime::idempotency::RequestKey& key) override;

  // Apply's work inside the caller's transaction (after the key was
  // claimed, for Apply): the one code path of a status change, for the gRPC
  // methods and the saga's command handler (orders/participant.h). The
  // order's row is locked first, then its events appended. Errors as
  // Apply's; they are decided before anything is written. Throws libpqxx
  // exceptions.
  absl::StatusOr<ChangeResult> ApplyIn(runtime::pg::Tx& tx, const std::string& id,
                                       const Change& change, const std::optional<std::string>& owner,
                                       const EnvelopeContext& context);

  // ApplyIn (no owner) for each of `changes` (order ids UUIDs), in order,
  // with the same results, rows and events, in three statements whatever
  // their number when each order appears once and every change is a status
  // change (every order locked at once in id order, the transitions decided
  // in memory, every status set at once, every event appended at once);
  // otherwise one ApplyIn after the other. Throws libpqxx exceptions.
  struct BatchChange {
    std::string order_id;
    Change change;
    EnvelopeContext context;
  };
  std::vector<absl::StatusOr<ChangeResult>> ApplyBatchIn(runtime::pg::Tx& tx,
                                                         const std::vector<BatchChange>& changes);

  // Publishes again the events of up to `limit` orders PENDING for longer
  // than `age` whose events were not published again within `age`:
  // OrderCreated (the coordinator starts a saga once per order, so a copy
  // changes nothing) and, for a cancel request, OrderCancelRequested. A lost
  // OrderCreated then cannot leave an order PENDING forever. Rows locked by
  // others are skipped (several instances share the work). How many.
  absl::StatusOr<int> ReemitStalled(absl::Duration age, int limit);

 private:
  runtime::pg::Pool& pool_;
  const std::string events_topic_;
};

// The migrations of the orders schema (orders/migrations/).
const std::vector<runtime::pg::Migration>& OrdersMigrations();

}  // namespace agora::orders
