#include "reviews/pg_store.h"

#include <iterator>
#include <set>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "reviews/convert.h"
#include "runtime/ids/uuid.h"
#include "runtime/messaging/inbox.h"
#include "runtime/pg/arrays.h"
#include "runtime/pg/exec.h"
#include "runtime/status/reason.h"

namespace agora::reviews {
namespace {

using runtime::pg::Tx;

#define REVIEW_COLUMNS                                                         \
  "id::text, product_id::text, customer_id::text, author_name, rating, body, " \
  "verified_purchase, (extract(epoch FROM created_at) * 1000000)::bigint"

Review ToReview(const pqxx::row& r) {
  Review review;
  review.id = r[0].as<std::string>();
  review.product_id = r[1].as<std::string>();
  review.customer_id = r[2].as<std::string>();
  review.author_name = r[3].as<std::string>();
  review.rating = r[4].as<int>();
  review.text = r[5].as<std::string>();
  review.verified_purchase = r[6].as<bool>();
  review.created_at = absl::FromUnixMicros(r[7].as<int64_t>());
  return review;
}

// ---- reads

constexpr char kListFirst[] = "SELECT " REVIEW_COLUMNS
                              " FROM reviews WHERE product_id = $1 "
                              "ORDER BY created_at DESC, id DESC LIMIT $2";
constexpr char kListAfter[] =
    "SELECT " REVIEW_COLUMNS
    " FROM reviews WHERE product_id = $1 "
    "AND (created_at, id) < ('epoch'::timestamptz + $3 * interval '1 microsecond', $4::uuid) "
    "ORDER BY created_at DESC, id DESC LIMIT $2";

constexpr char kGetReview[] = "SELECT " REVIEW_COLUMNS " FROM reviews WHERE id = $1";

}  // namespace

absl::StatusOr<Review> PgStore::GetReview(const std::string& id) {
  // A malformed id is not echoed: it may be anything.
  const absl::Status not_found = absl::NotFoundError(
      runtime::ids::IsUuid(id) ? absl::StrCat("review ", id, " not found") : std::string("review not found"));
  if (!runtime::ids::IsUuid(id)) return not_found;
  return pool_.Read<Review>([&](Tx& tx) -> absl::StatusOr<Review> {
    pqxx::result rows = runtime::pg::Exec(tx, kGetReview, id);
    if (rows.empty()) return not_found;
    return ToReview(rows[0]);
  });
}

absl::StatusOr<Page> PgStore::ListReviews(const ListQuery& query) {
  return pool_.Read<Page>([&](Tx& tx) -> absl::StatusOr<Page> {
    // One row more than the page tells whether another page follows.
    const int limit = query.page_size + 1;
    pqxx::result rows =
        query.after.has_value()
            ? runtime::pg::Exec(tx, kListAfter, query.product_id, limit,
                                absl::ToUnixMicros(query.after->created_at), query.after->id)
            : runtime::pg::Exec(tx, kListFirst, query.product_id, limit);
    Page page;
    for (const auto& row : rows) {
      if (static_cast<int>(page.reviews.size()) == query.page_size) break;
      page.reviews.push_back(ToReview(row));
    }
    if (static_cast<int>(rows.size()) > query.page_size) {
      const Review& last = page.reviews.back();
      page.next = PageCursor{last.created_at, last.id};
    }
    return page;
  });
}

namespace {
constexpr char kRating[] =
    "SELECT review_count, rating_sum FROM rating_summaries WHERE product_id = $1";
}  // namespace

absl::StatusOr<Rating> PgStore::GetRating(const std::string& product_id) {
  return pool_.Read<Rating>([&](Tx& tx) -> absl::StatusOr<Rating> {
    pqxx::result r = runtime::pg::Exec(tx, kRating, product_id);
    if (r.empty()) return Rating{};
    return RatingOf(r[0][0].as<int64_t>(), r[0][1].as<int64_t>());
  });
}

// ---- reviews and their summary, changed together

namespace {
// FOR SHARE: a cancellation of the order being handled meanwhile waits for
// this transaction, or this one sees the cancellation.
constexpr char kHasPurchase[] =
    "SELECT 1 FROM purchases WHERE customer_id = $1 AND product_id = $2 AND grants_review "
    "LIMIT 1 FOR SHARE";
// A concurrent review by the same customer of the same product waits on the
// unique key, then inserts nothing.
constexpr char kInsertReview[] =
    "INSERT INTO reviews (id, product_id, customer_id, author_name, rating, body, "
    "verified_purchase) VALUES ($1, $2, $3, $4, $5, $6, true) "
    "ON CONFLICT (customer_id, product_id) DO NOTHING RETURNING " REVIEW_COLUMNS;
constexpr char kAddToSummary[] =
    "INSERT INTO rating_summaries (product_id, review_count, rating_sum) VALUES ($1, 1, $2) "
    "ON CONFLICT (product_id) DO UPDATE SET "
    "review_count = rating_summaries.review_count + 1, "
    "rating_sum = rating_summaries.rating_sum + EXCLUDED.rating_sum, updated_at = now()";
constexpr char kDeleteReview[] =
    "DELETE FROM reviews WHERE id = $1 RETURNING customer_id::text, product_id::text, rating";
constexpr char kTakeFromSummary[] =
    "UPDATE rating_summaries SET review_count = review_count - 1, rating_sum = rating_sum - $2, "
    "updated_at = now() WHERE product_id = $1";
}  // namespace

absl::StatusOr<Review> PgStore::CreateReview(const NewReview& review,
                                             const runtime::idempotency::RequestKey& key) {
  const std::string id = runtime::ids::NewUuid();
  return pool_.Transact<Review>([&](Tx& tx) -> absl::StatusOr<Review> {
    auto first = runtime::idempotency::ClaimAnswer<agora::reviews::v1::Review>(tx, key);
    if (!first.ok()) return first.status();
    if (first->has_value()) return FromProto(**first);  // a repeat: the first call's review
    if (review.refused_at_source ||
        runtime::pg::Exec(tx, kHasPurchase, review.customer_id, review.product_id).empty()) {
      return runtime::status::WithReason(absl::FailedPreconditionError(kNotABuyerMessage), "PURCHASE_REQUIRED");
    }
    pqxx::result inserted =
        runtime::pg::Exec(tx, kInsertReview, id, review.product_id, review.customer_id,
                          review.author_name, review.rating, review.text);
    if (inserted.empty()) {
      return runtime::status::WithReason(absl::AlreadyExistsError("you have already reviewed this product"),
                                         "ALREADY_REVIEWED");
    }
    runtime::pg::Exec(tx, kAddToSummary, review.product_id, review.rating);
    Review created = ToReview(inserted[0]);
    agora::reviews::v1::Review answer;
    ToProto(created, &answer);
    runtime::idempotency::RecordAnswer(tx, key, answer);
    return created;
  });
}

absl::Status PgStore::DeleteReview(const std::string& id, const Actor& actor) {
  return pool_.Transact([&](Tx& tx) -> absl::Status {
    pqxx::result deleted = runtime::pg::Exec(tx, kDeleteReview, id);
    if (deleted.empty()) return absl::NotFoundError(absl::StrCat("review ", id, " not found"));
    // A refused deletion returns its error, which rolls the DELETE back.
    if (absl::Status s = CheckMayDelete(deleted[0][0].as<std::string>(), actor); !s.ok()) return s;
    runtime::pg::Exec(tx, kTakeFromSummary, deleted[0][1].as<std::string>(),
                      deleted[0][2].as<int>());
    return absl::OkStatus();
  });
}

// ---- verified purchases (from the order events)

namespace {
constexpr char kUpsertPurchase[] =
    "INSERT INTO purchases (order_id, product_id, customer_id, state, state_rank, grants_review) "
    "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (order_id, product_id) DO UPDATE SET "
    "state = EXCLUDED.state, state_rank = EXCLUDED.state_rank, "
    "grants_review = EXCLUDED.grants_review, updated_at = now() "
    "WHERE purchases.state_rank < EXCLUDED.state_rank";
// Also reaches the order's rows that an event without lines does not name.
constexpr char kAdvanceOrder[] =
    "UPDATE purchases SET state = $2, state_rank = $3, grants_review = $4, updated_at = now() "
    "WHERE order_id = $1 AND state_rank < $3";

// One update's effect, in the caller's transaction.
void ApplyInTx(Tx& tx, const PurchaseUpdate& update) {
  const char* state = OrderStateName(update.state);
  const int rank = OrderStateRank(update.state);
  const bool grants = GrantsReview(update.state);
  // Product ids are sorted: concurrent events lock rows in one order.
  for (const std::string& product_id : update.product_ids) {
    runtime::pg::Exec(tx, kUpsertPurchase, update.order_id, product_id, update.customer_id, state, rank,
                      grants);
  }
  runtime::pg::Exec(tx, kAdvanceOrder, update.order_id, state, rank, grants);
}

// A batch (PlanPurchaseUpdates): the rows that existed raised, then the new
// ones added; an (order, product) and an order are each named once.
constexpr char kAdvanceOrders[] =
    "UPDATE purchases p SET state = u.state, state_rank = u.rank, grants_review = u.grants, updated_at = now() "
    "FROM unnest($1::uuid[], $2::text[], $3::smallint[], $4::boolean[]) AS u(order_id, state, rank, grants) "
    "WHERE p.order_id = u.order_id AND p.state_rank < u.rank";
constexpr char kInsertPurchases[] =
    "INSERT INTO purchases (order_id, product_id, customer_id, state, state_rank, grants_review) "
    "SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::smallint[], $6::boolean[]) "
    "ON CONFLICT (order_id, product_id) DO UPDATE SET "
    "state = EXCLUDED.state, state_rank = EXCLUDED.state_rank, "
    "grants_review = EXCLUDED.grants_review, updated_at = now() "
    "WHERE purchases.state_rank < EXCLUDED.state_rank";

void ApplyPlanInTx(Tx& tx, const PurchaseBatchPlan& plan) {
  if (!plan.advances.empty()) {
    std::vector<std::string> orders, states, grants;
    std::vector<std::optional<int64_t>> ranks;
    for (const PurchaseBatchPlan::Advance& a : plan.advances) {
      orders.push_back(a.order_id);
      states.push_back(OrderStateName(a.state));
      ranks.push_back(OrderStateRank(a.state));
      grants.push_back(GrantsReview(a.state) ? "t" : "f");
    }
    runtime::pg::Exec(tx, kAdvanceOrders, runtime::pg::TextArray(orders), runtime::pg::TextArray(states),
                      runtime::pg::Int64Array(ranks), runtime::pg::TextArray(grants));
  }
  if (!plan.inserts.empty()) {
    std::vector<std::string> orders, products, customers, states, grants;
    std::vector<std::optional<int64_t>> ranks;
    for (const PurchaseBatchPlan::Insert& i : plan.inserts) {
      orders.push_back(i.order_id);
      products.push_back(i.product_id);
      customers.push_back(i.customer_id);
      states.push_back(OrderStateName(i.state));
      ranks.push_back(OrderStateRank(i.state));
      grants.push_back(GrantsReview(i.state) ? "t" : "f");
    }
    runtime::pg::Exec(tx, kInsertPurchases, runtime::pg::TextArray(orders), runtime::pg::TextArray(products),
                      runtime::pg::TextArray(customers), runtime::pg::TextArray(states),
                      runtime::pg::Int64Array(ranks), runtime::pg::TextArray(grants));
  }
}

}  // namespace

absl::StatusOr<bool> PgStore::ApplyPurchaseUpdate(const std::string& message_id,
                                                  const PurchaseUpdate& update) {
  return pool_.Transact<bool>([&](Tx& tx) -> absl::StatusOr<bool> {
    if (!runtime::messaging::RecordInInbox(tx, message_id)) return false;
    ApplyInTx(tx, update);
    return true;
  });
}

absl::StatusOr<int> PgStore::ApplyPurchaseUpdates(
    const std::vector<std::pair<std::string, PurchaseUpdate>>& updates) {
  if (updates.empty()) return 0;
  std::vector<std::string> ids;
  ids.reserve(updates.size());
  for (const auto& [id, update] : updates) ids.push_back(id);
  return pool_.Transact<int>([&](Tx& tx) -> absl::StatusOr<int> {
    runtime::pg::PreferGenericPlans(tx);
    // One statement records the batch; each id is applied once, in order,
    // by two set-based statements for the whole batch.
    std::vector<std::string> recorded = runtime::messaging::RecordAllInInbox(tx, ids);
    std::set<std::string> fresh(std::make_move_iterator(recorded.begin()), std::make_move_iterator(recorded.end()));
    std::vector<const PurchaseUpdate*> in_order;
    for (const auto& [id, update] : updates) {
      if (fresh.erase(id) == 0) continue;
      in_order.push_back(&update);
    }
    ApplyPlanInTx(tx, PlanPurchaseUpdates(in_order));
    return static_cast<int>(in_order.size());
  });
}

}  // namespace agora::reviews
