#pragma once

// The rules of reviews: what a valid review is, how listing pages are cut,
// who may delete a review, and which orders give the right to review. No
// gRPC, SQL or Kafka here.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace agora::reviews {

inline constexpr int kDefaultPageSize = 20;
inline constexpr int kMaxPageSize = 100;
inline constexpr int kMinRating = 1;
inline constexpr int kMaxRating = 5;
inline constexpr size_t kMaxTextLength = 4000;  // Unicode code points

// The FAILED_PRECONDITION message of a review without a verified purchase.
inline constexpr char kNotABuyerMessage[] = "only customers who bought this product can review it";

struct Review {
  std::string id;
  std::string product_id;
  std::string customer_id;
  std::string author_name;  // the author's display name when the review was written
  int rating = 0;
  std::string text;
  bool verified_purchase = false;
  absl::Time created_at;
};

struct NewReview {
  std::string product_id;
  std::string customer_id;
  std::string author_name;
  int rating = 0;
  std::string text;
  // Set when orders, asked at this moment, holds no order of the customer
  // that grants the review: the record built from order events trails
  // orders by milliseconds (an order cancelled just now may still read
  // APPROVED there), so it is not consulted and the review is refused.
  bool refused_at_source = false;
};

// A product's rating summary.
struct Rating {
  double average = 0;  // 0 without reviews
  int64_t count = 0;
};

// The summary of `count` ratings adding up to `sum`.
Rating RatingOf(int64_t count, int64_t sum);

// Where a listing continues: after (created_at, id) in newest-first order.
struct PageCursor {
  absl::Time created_at;
  std::string id;
};

struct ListQuery {
  std::string product_id;            // lowercase
  int page_size = kDefaultPageSize;  // already normalised
  std::optional<PageCursor> after;
};

struct Page {
  std::vector<Review> reviews;
  std::optional<PageCursor> next;  // set when more reviews follow
};

// Who asks for a deletion.
struct Actor {
  std::string customer_id;
  bool admin = false;
};

// INVALID_ARGUMENT naming the field: a rating outside 1..5, a text over 4000
// code points or not valid UTF-8.
absl::Status ValidateReview(int rating, const std::string& text);

// OK for the review's author or an admin; PERMISSION_DENIED otherwise.
absl::Status CheckMayDelete(const std::string& author_id, const Actor& actor);

// 0 -> default, > max -> max, negative -> INVALID_ARGUMENT.
absl::StatusOr<int> NormalisePageSize(int requested);

// Builds the listing query; INVALID_ARGUMENT for a negative page size, an
// unreadable token, or a token issued for another product.
absl::StatusOr<ListQuery> MakeListQuery(const std::string& product_id, int page_size,
                                        const std::string& page_token);
// The opaque token of a cursor ("" for none), bound to the product.
std::string EncodePageToken(const std::optional<PageCursor>& cursor, const std::string& product_id);

// ---- verified purchases

// The status of an order, as the order events tell it.
enum class OrderState { kPending, kApproved, kRejected, kCancelling, kCancelled, kShipped };

const char* OrderStateName(OrderState state);

// Orders move one way (PENDING -> APPROVED|REJECTED, APPROVED ->
// SHIPPED|CANCELLING -> CANCELLED): a state replaces a recorded one only if
// its rank is higher, so a late or replayed event never revives a right that
// a cancellation took away.
int OrderStateRank(OrderState state);

// An APPROVED or SHIPPED order gives its customer the right to review the
// products it holds.
bool GrantsReview(OrderState state);

// What an order event says about who bought what.
struct PurchaseUpdate {
  std::string order_id;
  std::string customer_id;  // may be empty when product_ids is
  OrderState state = OrderState::kPending;
  std::vector<std::string> product_ids;  // lowercase, sorted, unique
};

// Checks the ids (UUIDs; a customer id whenever products are named),
// lowercases, sorts and deduplicates the product ids. INVALID_ARGUMENT
// naming the field.
absl::StatusOr<PurchaseUpdate> NormalisePurchaseUpdate(PurchaseUpdate update);

// A batch of updates as two set-based writes with the effect of applying
// them one by one, in order (each: upsert its products' rows, then raise
// every row of its order): first `advances` raise the rows that existed
// before the batch (to the highest state any update of their order brings),
// then `inserts` add the rows first named in the batch, each at the highest
// state from the update that first named it on (an existing row it meets
// was raised already). Among states of one rank the first reached wins, as
// one by one. Orders and (order, product) pairs are each listed once.
struct PurchaseBatchPlan {
  struct Advance {
    std::string order_id;
    OrderState state;
  };
  struct Insert {
    std::string order_id;
    std::string product_id;
    std::string customer_id;
    OrderState state;
  };
  std::vector<Advance> advances;
  std::vector<Insert> inserts;
};
PurchaseBatchPlan PlanPurchaseUpdates(const std::vector<const PurchaseUpdate*>& in_order);

}  // namespace agora::reviews
