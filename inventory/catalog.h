#pragma once

// The catalog's rules: what a valid product is, how listing pages are cut,
// and what a reservation may ask. No gRPC, SQL or Kafka here.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace agora::inventory {

inline constexpr int kDefaultPageSize = 20;
inline constexpr int kMaxPageSize = 100;
inline constexpr size_t kMaxSkuLength = 64;
inline constexpr size_t kMaxNameLength = 200;
inline constexpr size_t kMaxDescriptionLength = 4000;
inline constexpr size_t kMaxQueryLength = 200;
inline constexpr int kMaxReservationLines = 100;

struct Product {
  std::string id;
  std::string sku;
  std::string name;
  std::string description;
  int64_t price_cents = 0;
  int64_t stock = 0;
  absl::Time created_at;
};

struct NewProduct {
  std::string sku;
  std::string name;
  std::string description;
  int64_t price_cents = 0;
  int64_t stock = 0;
};

// A partial update: only the set fields change.
struct ProductPatch {
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<int64_t> price_cents;
};

// Where a listing continues: after (created_at, id), for the same query.
struct PageCursor {
  absl::Time created_at;
  std::string id;
};

struct ListQuery {
  int page_size = kDefaultPageSize;  // already normalised
  std::string query;
  std::optional<PageCursor> after;
};

struct Page {
  std::vector<Product> products;
  std::optional<PageCursor> next;  // set when more products follow
};

struct StockLine {
  std::string product_id;
  int64_t quantity = 0;
  // The order held the product before any soft delete (it was on sale when
  // the order was placed): a deleted product is still reserved for it.
  // API.md: deleting a product leaves "orders that hold it unaffected".
  bool on_sale = false;
};

enum class ReserveOutcome { kReserved, kOutOfStock, kProductUnavailable, kReleased };

struct ReserveResult {
  ReserveOutcome outcome = ReserveOutcome::kReserved;
  std::string product_id;  // the first line that failed
  bool repeat = false;     // the stored answer of an earlier call for the order
};

// INVALID_ARGUMENT naming the field.
absl::Status ValidateNewProduct(const NewProduct& p);
absl::Status ValidatePatch(const ProductPatch& patch);
absl::Status ValidateRestock(int64_t quantity);
// Lines sorted by product id (the lock order), after validation: 1..100
// lines, UUID product ids, no product twice, quantity 1..1,000,000.
absl::StatusOr<std::vector<StockLine>> NormaliseReservation(const std::string& order_id,
                                                             std::vector<StockLine> lines);

// 0 -> default, > max -> max, negative -> INVALID_ARGUMENT.
absl::StatusOr<int> NormalisePageSize(int requested);

// Builds the listing query from the request's size, token and text;
// INVALID_ARGUMENT for an unreadable token or one made for another query.
absl::StatusOr<ListQuery> MakeListQuery(int page_size, const std::string& page_token,
                                        const std::string& query);
// The opaque token of a cursor ("" for none).
std::string EncodePageToken(const std::optional<PageCursor>& cursor, const std::string& query);

}  // namespace agora::inventory
