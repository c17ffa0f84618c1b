// Transcoding of Agora's own routes (gateway/transcoder.h), beyond what the
// HTTP tests reach: regressions found by fuzz/transcoder_fuzz.

#include "gateway/transcoder.h"

#include <catch2/catch.hpp>

#include "agora/customers/v1/customers.pb.h"
#include "agora/inventory/v1/inventory.pb.h"
#include "agora/orders/v1/orders.pb.h"
#include "gateway/openapi.h"
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

// The public routes, and the top-up route's POST of a JSON body.
struct TopUpRoute {
  absl::StatusOr<RouteTable> table = RouteTable::Build(PublicServices());
  RouteMatch match;
  HttpRequest request;
  TopUpRoute() {
    REQUIRE(table.ok());
    REQUIRE(table->Find("POST", "/v1/customers/me:topUp", &match, nullptr) == RouteTable::Outcome::kMatched);
    request.method = "POST";
    request.path = "/v1/customers/me:topUp";
    request.headers = {{"content-type", "application/json"}};
  }
  absl::StatusOr<std::string> Build(std::string body) {
    request.body = std::move(body);
    return BuildRequest(*match.binding, match, request);
  }
};

TEST_CASE("a header Idempotency-Key and a body idempotencyKey must agree; a NUL in a query is refused",
          "[unit]") {
  TopUpRoute topup;
  RouteTable& table = *topup.table;
  RouteMatch match;
  topup.request.headers.emplace_back("idempotency-key", "H-1");
  const absl::StatusOr<std::string> refused = topup.Build(R"({"amountCents":7,"idempotencyKey":"B-1"})");
  CHECK(refused.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(refused.status().message() == "header Idempotency-Key and body idempotencyKey differ");
  for (const char* body : {R"({"amountCents":7,"idempotencyKey":"H-1"})", R"({"amountCents":7})"}) {
    INFO(body);
    const absl::StatusOr<std::string> bytes = topup.Build(body);
    REQUIRE(bytes.ok());
    customers::v1::TopUpRequest parsed;
    REQUIRE(parsed.ParseFromString(*bytes));
    CHECK(parsed.idempotency_key() == "H-1");
  }

  REQUIRE(table.Find("GET", "/v1/products", &match, nullptr) == RouteTable::Outcome::kMatched);
  HttpRequest search;
  search.method = "GET";
  search.path = "/v1/products";
  search.query = "query=mug%00hidden";
  const absl::StatusOr<std::string> nul = BuildRequest(*match.binding, match, search);
  CHECK(nul.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(nul.status().message() == "query parameter 'query' must not contain U+0000");
  search.query = "query=mug";
  CHECK(BuildRequest(*match.binding, match, search).ok());
}

// Walks `d` and the messages it holds; false at the first enum field.
bool NoEnums(const google::protobuf::Descriptor* d, int depth = 0) {
  if (depth > 8) return true;  // recursive messages: deep enough
  for (int i = 0; i < d->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = d->field(i);
    if (f->enum_type() != nullptr) return false;
    if (f->message_type() != nullptr && !NoEnums(f->message_type(), depth + 1)) return false;
  }
  return true;
}

TEST_CASE("fields a method does not know are ignored; malformed JSON and wrong types are not", "[unit]") {
  TopUpRoute topup;
  const absl::StatusOr<std::string> bytes =
      topup.Build(R"({"amountCents":"250","clientRef":"abc","nested":{"x":[1,2]},"idempotencyKey":"k-1"})");
  REQUIRE(bytes.ok());
  customers::v1::TopUpRequest parsed;
  REQUIRE(parsed.ParseFromString(*bytes));
  CHECK(parsed.amount_cents() == 250);
  CHECK(parsed.idempotency_key() == "k-1");
  for (const char* bad : {R"({"amountCents":"x"})", R"({"amountCents":1,)", R"({"amountCents":true})"}) {
    INFO(bad);
    CHECK(topup.Build(bad).status().code() == absl::StatusCode::kInvalidArgument);
  }
  // Protobuf's JSON parser, ignoring unknown fields, also ignores unknown
  // enum names: no request that carries a body may have an enum field.
  for (const Binding& b : topup.table->bindings()) {
    if (b.body.empty()) continue;
    INFO(b.http_method << " " << b.path_template);
    CHECK(NoEnums(b.method->input_type()));
  }
}

}  // namespace
}  // namespace agora::gateway
