// Transcoding of Agora's own routes (gateway/transcoder.h), beyond what the
// HTTP tests reach: regressions found by fuzz/transcoder_fuzz.

#include "gateway/transcoder.h"

#include <catch2/catch.hpp>

#include "agora/customers/v1/customers.pb.h"
#include "agora/inventory/v1/inventory.pb.h"
#include "agora/orders/v1/orders.pb.h"
#include "gateway/route_table.h"

namespace agora::gateway {
namespace {

TEST_CASE("an Idempotency-Key that is not UTF-8 is refused by the transcoder itself (fuzz regression)",
          "[unit]") {
  absl::StatusOr<RouteTable> table = RouteTable::Build(
      {orders::v1::Order::descriptor()->file()->FindServiceByName("Orders")});
  REQUIRE(table.ok());
  RouteMatch match;
  REQUIRE(table->Find("POST", "/v1/orders", &match, nullptr) == RouteTable::Outcome::kMatched);
  HttpRequest request;
  request.method = "POST";
  request.path = "/v1/orders";
  request.body = R"({"items":[{"productId":"123e4567-e89b-12d3-a456-426614174000","quantity":2}]})";
  request.headers = {{"content-type", "application/json"}, {"idempotency-key", "k1 \xe1\x34"}};
  const absl::StatusOr<std::string> refused = BuildRequest(*match.binding, match, request);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(refused.status().message().find("Idempotency-Key") != std::string::npos);

  request.headers.back().second = "caf\xc3\xa9-1";
  const absl::StatusOr<std::string> bytes = BuildRequest(*match.binding, match, request);
  REQUIRE(bytes.ok());
  orders::v1::CreateOrderRequest parsed;
  REQUIRE(parsed.ParseFromString(*bytes));
  CHECK(parsed.idempotency_key() == "caf\xc3\xa9-1");
}

}  // namespace
}  // namespace agora::gateway
