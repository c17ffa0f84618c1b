#include <catch2/catch.hpp>

#include "agora/customers/v1/customers.pb.h"
#include "agora/orders/v1/orders.pb.h"
#include "gateway/json_errors.h"

namespace agora::gateway {
namespace {

TEST_CASE("a refused JSON body is explained by the field at fault", "[unit]") {
  const auto* login = agora::customers::v1::LoginRequest::descriptor();
  CHECK(DescribeJsonError(R"({"email":"a","bogus":1})", login) == "unknown field 'bogus'");
  CHECK(DescribeJsonError(R"({"email":123})", login) == "field 'email' must be a string");
  CHECK(DescribeJsonError(R"({"email":"a","password":"b"})", login).empty());
  CHECK(DescribeJsonError("{not json", login).empty());
  const auto* create = agora::orders::v1::CreateOrderRequest::descriptor();
  CHECK(DescribeJsonError(R"({"items":[{"productId":"x","quantity":"many"}]})", create).empty());
  CHECK(DescribeJsonError(R"({"items":[{"productId":"x","qty":1}]})", create) ==
        "unknown field 'items[0].qty'");
  CHECK(DescribeJsonError(R"({"items":{"productId":"x"}})", create) == "field 'items' must be an array");
  CHECK(DescribeJsonError(R"({"fromCart":"yes"})", create) == "field 'fromCart' must be true or false");
  CHECK(DescribeJsonError(R"({"from_cart":true})", create).empty());
}

}  // namespace
}  // namespace agora::gateway
