#pragma once

// The PostgreSQL Store: the only SQL of the reviews service.

#include <vector>

#include "reviews/store.h"
#include "runtime/pg/migrations.h"
#include "runtime/pg/pool.h"

namespace agora::reviews {

class PgStore final : public Store {
 public:
  // `pool` is borrowed; its connections use the reviews schema (which also
  // holds the messaging inbox).
  explicit PgStore(runtime::pg::Pool& pool) : pool_(pool) {}

  absl::StatusOr<Page> ListReviews(const ListQuery& query) override;
  absl::StatusOr<Review> GetReview(const std::string& id) override;
  absl::StatusOr<Rating> GetRating(const std::string& product_id) override;
  absl::StatusOr<Review> CreateReview(const NewReview& review,
                                      const runtime::idempotency::RequestKey& key) override;
  absl::Status DeleteReview(const std::string& id, const Actor& actor) override;
  absl::StatusOr<bool> ApplyPurchaseUpdate(const std::string& message_id,
                                           const PurchaseUpdate& update) override;
  absl::StatusOr<int> ApplyPurchaseUpdates(
      const std::vector<std::pair<std::string, PurchaseUpdate>>& updates) override;

 private:
  runtime::pg::Pool& pool_;
};

// The migrations of the reviews schema (reviews/migrations/).
const std::vector<runtime::pg::Migration>& ReviewsMigrations();

}  // namespace agora::reviews
