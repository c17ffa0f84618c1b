#include <catch2/catch.hpp>

#include "agora/customers/v1/customers.pb.h"
#include "agora/orders/v1/orders.pb.h"
#include "gateway/json_errors.h"

namespace agora::gateway {
namespace {

TEST_CASE("a body's JSON types are checked field by field; unknown fields are not errors", "[unit]") {
  const auto* login = agora::customers::v1::LoginRequest::descriptor();
  CHECK(DescribeJsonError(R"({"email":"a","bogus":1})", login).empty());
  CHECK(DescribeJsonError(R"({"email":123})", login) == "field 'email' must be a string");
  CHECK(DescribeJsonError(R"({"email":"a","password":"b"})", login).empty());
  CHECK(DescribeJsonError("{not json", login).empty());  // protobuf's parser names that
  const auto* create = agora::orders::v1::CreateOrderRequest::descriptor();
  CHECK(DescribeJsonError(R"({"items":[{"productId":"x","quantity":"many"}]})", create).empty());
  CHECK(DescribeJsonError(R"({"items":[{"productId":"x","qty":1}]})", create).empty());
  // What protobuf 3.21's parser would take, and grpc-gateway refuses:
  CHECK(DescribeJsonError(R"({"items":{"productId":"x"}})", create) == "field 'items' must be an array");
  CHECK(DescribeJsonError(R"({"items":[[{"productId":"x"}]]})", create) == "field 'items[0]' must be an object");
  CHECK(DescribeJsonError(R"({"items":[{"productId":"x"},null]})", create) ==
        "field 'items[1]' must not be null");
  for (const char* truthy : {R"("yes")", R"("true")", R"("1")", R"("t")", "1"}) {
    INFO(truthy);
    CHECK(DescribeJsonError(std::string(R"({"fromCart":)") + truthy + "}", create) ==
          "field 'fromCart' must be true or false");
  }
  CHECK(DescribeJsonError(R"({"from_cart":true})", create).empty());
  CHECK(DescribeJsonError(R"({"items":null,"fromCart":null})", create).empty());
}

}  // namespace
}  // namespace agora::gateway
