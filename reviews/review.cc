#include "reviews/review.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/ids/uuid.h"
#include "runtime/text/utf8.h"

namespace agora::reviews {
namespace {

constexpr char kTokenVersion[] = "r1";

}  // namespace

Rating RatingOf(int64_t count, int64_t sum) {
  if (count <= 0) return Rating{};
  return Rating{static_cast<double>(sum) / static_cast<double>(count), count};
}

absl::Status ValidateReview(int rating, const std::string& text) {
  if (rating < kMinRating || rating > kMaxRating) {
    return absl::InvalidArgumentError(
        absl::StrCat("rating must be ", kMinRating, " to ", kMaxRating));
  }
  const std::optional<size_t> n = runtime::text::CodePointCount(text);
  if (!n.has_value()) return absl::InvalidArgumentError("text is not valid UTF-8");
  if (*n > kMaxTextLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("text must be at most ", kMaxTextLength, " characters"));
  }
  return absl::OkStatus();
}

absl::Status CheckMayDelete(const std::string& author_id, const Actor& actor) {
  if (actor.admin || (!actor.customer_id.empty() && actor.customer_id == author_id)) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError("only the review's author or an admin can delete it");
}

absl::StatusOr<int> NormalisePageSize(int requested) {
  if (requested < 0) return absl::InvalidArgumentError("pageSize must be >= 0");
  if (requested == 0) return kDefaultPageSize;
  return std::min(requested, kMaxPageSize);
}

std::string EncodePageToken(const std::optional<PageCursor>& cursor,
                            const std::string& product_id) {
  if (!cursor.has_value()) return "";
  const std::string raw = absl::StrCat(kTokenVersion, "|", absl::ToUnixMicros(cursor->created_at),
                                       "|", cursor->id, "|", absl::AsciiStrToLower(product_id));
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<ListQuery> MakeListQuery(const std::string& product_id, int page_size,
                                        const std::string& page_token) {
  ListQuery q;
  absl::StatusOr<int> size = NormalisePageSize(page_size);
  if (!size.ok()) return size.status();
  q.page_size = *size;
  q.product_id = absl::AsciiStrToLower(product_id);
  if (page_token.empty()) return q;
  const absl::Status bad = absl::InvalidArgumentError("pageToken is invalid");
  std::string raw;
  if (!absl::WebSafeBase64Unescape(page_token, &raw)) return bad;
  std::vector<std::string> parts = absl::StrSplit(raw, absl::MaxSplits('|', 3));
  int64_t micros = 0;
  if (parts.size() != 4 || parts[0] != kTokenVersion || !absl::SimpleAtoi(parts[1], &micros) ||
      !runtime::ids::IsUuid(parts[2])) {
    return bad;
  }
  if (parts[3] != q.product_id) {
    return absl::InvalidArgumentError("pageToken was issued for another product");
  }
  q.after = PageCursor{absl::FromUnixMicros(micros), parts[2]};
  return q;
}

const char* OrderStateName(OrderState state) {
  switch (state) {
    case OrderState::kPending:
      return "PENDING";
    case OrderState::kApproved:
      return "APPROVED";
    case OrderState::kRejected:
      return "REJECTED";
    case OrderState::kCancelling:
      return "CANCELLING";
    case OrderState::kCancelled:
      return "CANCELLED";
    case OrderState::kShipped:
      return "SHIPPED";
  }
  return "PENDING";
}

int OrderStateRank(OrderState state) {
  switch (state) {
    case OrderState::kPending:
      return 0;
    case OrderState::kApproved:
      return 1;
    case OrderState::kShipped:
    case OrderState::kCancelling:
      return 2;
    case OrderState::kRejected:
    case OrderState::kCancelled:
      return 3;
  }
  return 0;
}

bool GrantsReview(OrderState state) {
  return state == OrderState::kApproved || state == OrderState::kShipped;
}

absl::StatusOr<PurchaseUpdate> NormalisePurchaseUpdate(PurchaseUpdate update) {
  if (!runtime::ids::IsUuid(update.order_id)) {
    return absl::InvalidArgumentError("order_id must be a UUID");
  }
  update.order_id = absl::AsciiStrToLower(update.order_id);
  for (std::string& id : update.product_ids) {
    if (!runtime::ids::IsUuid(id)) {
      return absl::InvalidArgumentError("lines.product_id must be a UUID");
    }
    id = absl::AsciiStrToLower(id);
  }
  std::sort(update.product_ids.begin(), update.product_ids.end());
  update.product_ids.erase(std::unique(update.product_ids.begin(), update.product_ids.end()),
                           update.product_ids.end());
  if (!update.customer_id.empty() || !update.product_ids.empty()) {
    if (!runtime::ids::IsUuid(update.customer_id)) {
      return absl::InvalidArgumentError("customer_id must be a UUID");
    }
    update.customer_id = absl::AsciiStrToLower(update.customer_id);
  }
  return update;
}

PurchaseBatchPlan PlanPurchaseUpdates(const std::vector<const PurchaseUpdate*>& in_order) {
  std::vector<std::string> orders;  // as first met
  std::map<std::string, std::vector<const PurchaseUpdate*>> by_order;
  for (const PurchaseUpdate* u : in_order) {
    auto [it, fresh] = by_order.try_emplace(u->order_id);
    if (fresh) orders.push_back(u->order_id);
    it->second.push_back(u);
  }
  PurchaseBatchPlan plan;
  for (const std::string& order : orders) {
    const std::vector<const PurchaseUpdate*>& updates = by_order[order];
    const size_t n = updates.size();
    // best[j]: where updates j.. leave a row that exists from update j on:
    // the first of them with the highest rank (an equal rank replaces nothing).
    std::vector<OrderState> best(n);
    for (size_t j = n; j-- > 0;) {
      best[j] = (j + 1 == n || OrderStateRank(updates[j]->state) >= OrderStateRank(best[j + 1]))
                    ? updates[j]->state
                    : best[j + 1];
    }
    if (OrderStateRank(best[0]) > 0) plan.advances.push_back({order, best[0]});  // rank 0 raises nothing
    std::set<std::string> named;
    for (size_t j = 0; j < n; ++j) {
      for (const std::string& product : updates[j]->product_ids) {
        if (named.insert(product).second) {
          plan.inserts.push_back({order, product, updates[j]->customer_id, best[j]});
        }
      }
    }
  }
  return plan;
}

}  // namespace agora::reviews
