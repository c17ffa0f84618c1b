#pragma once

// The PostgreSQL Store: the only SQL of the orders service.

#include <vector>

#include "orders/store.h"
#include "runtime/pg/migrations.h"
#include "runtime/pg/pool.h"

namespace agora::orders {

class PgStore final : public Store {
 public:
  // `pool` is borrowed; its connections use the orders schema, whose
  // messaging tables (the outbox) are migrated too.
  explicit PgStore(runtime::pg::Pool& pool) : pool_(pool) {}

  absl::StatusOr<std::optional<KeyedOrder>> FindByIdempotencyKey(const std::string& customer_id,
                                                                 const std::string& key) override;
  absl::StatusOr<CreateResult> Create(const NewOrder& order,
                                      const EnvelopeContext& context) override;
  absl::StatusOr<Order> Get(const std::string& id) override;
  absl::StatusOr<OrderPage> List(const ListQuery& query) override;
  absl::StatusOr<ChangeResult> Apply(const std::string& id, const Change& change,
                                     const std::optional<std::string>& owner,
                                     const EnvelopeContext& context,
                                     const runtime::idempotency::RequestKey& key) override;

 private:
  // Apply's work inside its transaction, after the key was claimed.
  absl::StatusOr<ChangeResult> ApplyLocked(runtime::pg::Tx& tx, const std::string& id, const Change& change,
                                           const std::optional<std::string>& owner,
                                           const EnvelopeContext& context);

  runtime::pg::Pool& pool_;
};

// The migrations of the orders schema (orders/migrations/).
const std::vector<runtime::pg::Migration>& OrdersMigrations();

}  // namespace agora::orders
