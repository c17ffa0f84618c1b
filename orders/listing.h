#pragma once

// How order listings are cut into pages (API.md, "Conventions"): newest
// first, page_size 0 -> 20, > 100 -> 100, negative refused; the opaque token
// names where the next page starts and the filter it was made for.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "orders/order.h"

namespace agora::orders {

inline constexpr int kDefaultPageSize = 20;
inline constexpr int kMaxPageSize = 100;

// The last order of a page: the next page holds the orders older than it
// (by created_at, then id).
struct PageCursor {
  absl::Time created_at;
  std::string id;
};

struct ListQuery {
  int page_size = kDefaultPageSize;       // already normalised
  std::optional<std::string> customer_id;  // unset: every customer's (admins)
  std::optional<Status> status;            // unset: every status
  std::optional<PageCursor> after;
};

struct OrderPage {
  std::vector<Order> orders;
  std::optional<PageCursor> next;  // set when more orders follow
};

// 0 -> default, > max -> max, negative -> INVALID_ARGUMENT.
absl::StatusOr<int> NormalisePageSize(int requested);

// The query for a page. INVALID_ARGUMENT for a negative size, an unreadable
// token, or a token issued for another status filter.
absl::StatusOr<ListQuery> MakeListQuery(int page_size, const std::string& page_token,
                                        std::optional<Status> status,
                                        std::optional<std::string> customer_id);

// The opaque token of a cursor ("" for none), bound to the status filter.
std::string EncodePageToken(const std::optional<PageCursor>& cursor, std::optional<Status> status);

}  // namespace agora::orders
