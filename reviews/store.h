#pragma once

// Persistence of reviews, rating summaries and verified purchases.
// pg_store.h is the PostgreSQL implementation; every method is one
// transaction, and a product's rating summary changes in the same
// transaction as its reviews.
//
// Errors: NOT_FOUND for an unknown review, ALREADY_EXISTS for a second
// review of a product by one customer, FAILED_PRECONDITION without a
// verified purchase, PERMISSION_DENIED for a deletion by someone else,
// UNAVAILABLE when the database is down. Ids passed in are UUIDs (checked by
// the caller). Thread-safe.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "reviews/review.h"
#include "runtime/idempotency/request_keys.h"

namespace agora::reviews {

class Store {
 public:
  virtual ~Store() = default;

  // One page of a product's reviews, newest first.
  virtual absl::StatusOr<Page> ListReviews(const ListQuery& query) = 0;
  // One review; NOT_FOUND if there is none with that id.
  virtual absl::StatusOr<Review> GetReview(const std::string& id) = 0;
  // 0 and 0 for a product never reviewed.
  virtual absl::StatusOr<Rating> GetRating(const std::string& product_id) = 0;
  // Creates the review (verified_purchase set) if the customer holds an
  // order that grants the right (GrantsReview) and has not reviewed the
  // product yet, and adds its rating to the summary. With
  // `review.refused_at_source` only a repeat of `key` succeeds.
  // `key`: the caller's idempotency key (runtime/idempotency); a repeat
  // answers the first call's review.
  virtual absl::StatusOr<Review> CreateReview(const NewReview& review,
                                              const runtime::idempotency::RequestKey& key) = 0;
  // Deletes the review if `actor` may (CheckMayDelete) and takes its rating
  // out of the summary.
  virtual absl::Status DeleteReview(const std::string& id, const Actor& actor) = 0;

  // Records `message_id` in the inbox and applies `update` (normalised) in
  // one transaction. Returns false, changing nothing, for a message already
  // handled. A recorded purchase only moves to a state of higher rank
  // (OrderStateRank).
  virtual absl::StatusOr<bool> ApplyPurchaseUpdate(const std::string& message_id,
                                                   const PurchaseUpdate& update) = 0;
  // ApplyPurchaseUpdate for a batch of (message id, update), in order, in
  // one transaction; the ones already handled (or repeated in the batch)
  // change nothing. Returns how many were applied.
  virtual absl::StatusOr<int> ApplyPurchaseUpdates(
      const std::vector<std::pair<std::string, PurchaseUpdate>>& updates) = 0;
};

}  // namespace agora::reviews
