#include <catch2/catch.hpp>

#include "inventory/catalog.h"

namespace agora::inventory {
namespace {

const std::string kId = "123e4567-e89b-12d3-a456-426614174000";
const std::string kId2 = "023e4567-e89b-12d3-a456-426614174000";

TEST_CASE("page sizes: 0 is the default, over 100 is capped, negative is refused", "[unit]") {
  CHECK(*NormalisePageSize(0) == 20);
  CHECK(*NormalisePageSize(7) == 7);
  CHECK(*NormalisePageSize(100) == 100);
  CHECK(*NormalisePageSize(1000) == 100);
  CHECK(NormalisePageSize(-1).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("a page token round-trips and is bound to its query", "[unit]") {
  const PageCursor cursor{absl::FromUnixMicros(1700000000123456), kId};
  const std::string token = EncodePageToken(cursor, "mug");
  auto q = MakeListQuery(5, token, "mug");
  REQUIRE(q.ok());
  REQUIRE(q->after.has_value());
  CHECK(q->after->id == kId);
  CHECK(q->after->created_at == cursor.created_at);
  CHECK(q->page_size == 5);
  CHECK(MakeListQuery(5, token, "tea").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(EncodePageToken(std::nullopt, "mug").empty());
}

TEST_CASE("unreadable page tokens are INVALID_ARGUMENT", "[unit]") {
  for (const std::string bad : {"garbage!!", "Zm9v", "YzF8eHx5fHo", "YzJ8MXwxMjN8"}) {
    CHECK(MakeListQuery(10, bad, "").status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("a new product needs a sku, a name and non-negative money and stock", "[unit]") {
  NewProduct ok{"SKU-1", "Mug", "", 0, 0};
  CHECK(ValidateNewProduct(ok).ok());
  NewProduct p = ok;
  p.sku = "";
  CHECK(ValidateNewProduct(p).code() == absl::StatusCode::kInvalidArgument);
  p = ok;
  p.sku = "has space";
  CHECK(ValidateNewProduct(p).code() == absl::StatusCode::kInvalidArgument);
  p = ok;
  p.name = "";
  CHECK(ValidateNewProduct(p).code() == absl::StatusCode::kInvalidArgument);
  p = ok;
  p.price_cents = -1;
  CHECK(std::string(ValidateNewProduct(p).message()).find("priceCents") != std::string::npos);
  p = ok;
  p.stock = -1;
  CHECK(std::string(ValidateNewProduct(p).message()).find("stock") != std::string::npos);
  p = ok;
  p.name = std::string(200, 'a');
  CHECK(ValidateNewProduct(p).ok());
  p.name = std::string(201, 'a');
  CHECK_FALSE(ValidateNewProduct(p).ok());
  // Lengths count code points: 200 two-byte characters are fine.
  p.name.clear();
  for (int i = 0; i < 200; ++i) p.name += "\xc3\xa9";
  CHECK(ValidateNewProduct(p).ok());
  p.name = "\xff";
  CHECK_FALSE(ValidateNewProduct(p).ok());
}

TEST_CASE("a patch may set an empty name but not a negative price", "[unit]") {
  ProductPatch patch;
  patch.name = "";
  CHECK(ValidatePatch(patch).ok());
  patch.price_cents = -5;
  CHECK(ValidatePatch(patch).code() == absl::StatusCode::kInvalidArgument);
  CHECK(ValidateRestock(0).code() == absl::StatusCode::kInvalidArgument);
  CHECK(ValidateRestock(1).ok());
}

TEST_CASE("reservation lines are validated and sorted into lock order", "[unit]") {
  auto lines = NormaliseReservation(kId, {{kId, 1}, {kId2, 2}});
  REQUIRE(lines.ok());
  CHECK((*lines)[0].product_id == kId2);
  CHECK(NormaliseReservation("nope", {{kId, 1}}).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(NormaliseReservation(kId, {}).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(NormaliseReservation(kId, {{kId, 0}}).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(NormaliseReservation(kId, {{kId, 1}, {kId, 1}}).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(NormaliseReservation(kId, {{"x", 1}}).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace agora::inventory
