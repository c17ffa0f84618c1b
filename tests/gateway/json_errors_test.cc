#include <catch2/catch.hpp>

#include "agora/customers/v1/customers.pb.h"
#include "agora/orders/v1/orders.pb.h"
#include "gateway/json_errors.h"
#include "google/protobuf/util/json_util.h"

namespace agora::gateway {
namespace {

TEST_CASE("a body's JSON types are checked field by field; unknown fields are not errors", "[unit]") {
  const auto* login = agora::customers::v1::LoginRequest::descriptor();
  CHECK(DescribeJsonError(R"({"email":"a","bogus":1})", login).empty());
  CHECK(DescribeJsonError(R"({"email":123})", login) == "field 'email' must be a string");
  CHECK(DescribeJsonError(R"({"email":"a","password":"b"})", login).empty());
  CHECK_THAT(DescribeJsonError("{not json", login), Catch::StartsWith("parse error at line 1, column 3: syntax error"));
  const auto* create = agora::orders::v1::CreateOrderRequest::descriptor();
  CHECK(DescribeJsonError(R"({"items":[{"productId":"x","quantity":"many"}]})", create) ==
        "field 'items[0].quantity' must be a whole number from -2147483648 to 2147483647");
  CHECK(DescribeJsonError(R"({"items":[{"productId":"x","qty":1}]})", create).empty());
  // A body that is JSON but no object.
  for (const char* body : {"null", "[]", "1", "\"x\"", "true"}) {
    INFO(body);
    CHECK(DescribeJsonError(body, login) == "the body must be a JSON object");
  }
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

TEST_CASE("a body must be strict JSON: what protobuf's lenient parser takes is refused, with where", "[unit]") {
  const auto* topup = agora::customers::v1::TopUpRequest::descriptor();
  CHECK(DescribeJsonError(R"({"amountCents":5})", topup).empty());
  CHECK(DescribeJsonError(R"({"amountCents":"5"})", topup).empty());
  CHECK(DescribeJsonError(R"({"amountCents":"+5"})", topup) == "field 'amountCents' must be a number");
  CHECK(DescribeJsonError("  {\"amountCents\" : 5}\n", topup).empty());
  for (const std::string bad : {R"({"amountCents":5,})", R"({'amountCents':5})", R"({amountCents:5})",
                                R"({"amountCents":'5'})", R"({"amountCents":5 /* c */})", R"({"amountCents":5}})",
                                R"({"amountCents":5} {})", R"({"amountCents":NaN})", R"([1,])", ""}) {
    INFO(bad);
    CHECK_THAT(DescribeJsonError(bad, topup), Catch::StartsWith("parse error at line 1, column "));
  }
  // Where, not what: the client's bytes do not come back, however long.
  CHECK(DescribeJsonError(R"({"amountCents":5,})", topup) ==
        "parse error at line 1, column 18: syntax error while parsing object key - unexpected '}'; "
        "expected string literal");
  const std::string long_bad = "{\"x\":\"" + std::string(100000, 'a') + "\\q\"}";
  CHECK_THAT(DescribeJsonError(long_bad, topup), Catch::StartsWith("parse error at line 1, column 100008: "));
  CHECK(DescribeJsonError(long_bad, topup).find("aaaa") == std::string::npos);
  CHECK(DescribeJsonError("{\"amountCents\":1" + std::string(100000, '0') + "}", topup).size() <= 160);
  CHECK(DescribeJsonError("\xEF\xBB\xBF{\"amountCents\":5}", topup) == "a byte order mark is not allowed");
  // A number beyond a double is an error too, not an exception (transcoder_fuzz).
  CHECK(DescribeJsonError(R"({"amountCents":23e4567})", topup) == "number overflow parsing '23e4567'");
  CHECK(DescribeJsonError(R"({"items":23e4567-e89b-12d3})", topup) == "number overflow parsing '23e4567'");
  // A key twice (the parser would keep the last), also in a nested object
  // and under the field's two names.
  CHECK(DescribeJsonError(R"({"amountCents":5,"amountCents":7})", topup) == "key 'amountCents' is given twice");
  CHECK(DescribeJsonError(R"({"amountCents":5,"amount_cents":7})", topup) == "field 'amountCents' is given twice");
  const auto* create = agora::orders::v1::CreateOrderRequest::descriptor();
  CHECK(DescribeJsonError(R"({"items":[{"productId":"a","productId":"b"}]})", create) ==
        "key 'productId' is given twice");
  CHECK(DescribeJsonError(R"({"items":[{"productId":"a"},{"productId":"b"}]})", create).empty());
  // Unknown keys twice are as unknown as once; the same key in sibling objects is no duplicate.
  CHECK(DescribeJsonError(R"({"x":{"a":1},"y":{"a":1}})", topup).empty());
}

TEST_CASE("an integer field takes a whole number within its type, and the error names the field", "[unit]") {
  const auto* topup = agora::customers::v1::TopUpRequest::descriptor();  // amountCents: int64
  // Protobuf's own parser decides what is accepted; the check agrees with it
  // on every case, and names the field where protobuf would not.
  const auto protobuf_takes = [](const std::string& body, google::protobuf::Message&& m) {
    return google::protobuf::util::JsonStringToMessage(body, &m).ok();
  };
  for (const char* ok : {"5", "-5", "\"5\"", "\"-5\"", "\"007\"", "2.0", "1e2", "9223372036854775807",
                         "-9223372036854775808", "\"9223372036854775807\"", "\"-9223372036854775808\"", "9.2e18"}) {
    INFO(ok);
    const std::string body = std::string(R"({"amountCents":)") + ok + "}";
    CHECK(protobuf_takes(body, agora::customers::v1::TopUpRequest()));
    CHECK(DescribeJsonError(body, topup).empty());
  }
  for (const char* bad : {"1.5", "\"1.5\"", "\"x\"", "\"5x\"", "9223372036854775808", "\"9223372036854775808\"",
                          "-1e19", "1e19", "\"1e30\"", "18446744073709551615", "\"1e2\"", "\" 100\"", "\"100 \"",
                          "\"0x10\"", "\"-\"", "\"1_000\"", "\"\\t5\"", "\"2.0\"", "\"--5\""}) {
    INFO(bad);
    const std::string body = std::string(R"({"amountCents":)") + bad + "}";
    CHECK_FALSE(protobuf_takes(body, agora::customers::v1::TopUpRequest()));
    CHECK(DescribeJsonError(body, topup) ==
          "field 'amountCents' must be a whole number from -9223372036854775808 to 9223372036854775807");
  }
  // Not numbers at all, as grpc-gateway's protojson reads them (protobuf
  // 3.21 would take "+5").
  for (const char* bad : {"\"+5\"", "\"\"", "\"+\""}) {
    INFO(bad);
    CHECK(DescribeJsonError(std::string(R"({"amountCents":)") + bad + "}", topup) == "field 'amountCents' must be a number");
  }
  const auto* create = agora::orders::v1::CreateOrderRequest::descriptor();  // quantity: int32
  CHECK(DescribeJsonError(R"({"items":[{"quantity":2147483647}]})", create).empty());
  CHECK(DescribeJsonError(R"({"items":[{"quantity":-2147483648}]})", create).empty());
  for (const char* bad : {"2147483648", "-2147483649", "0.5", "\"3000000000\"", "\" 3\"", "\"1e0\"", "\"3.0\""}) {
    INFO(bad);
    CHECK_FALSE(protobuf_takes(std::string(R"({"items":[{"quantity":)") + bad + "}]}",
                               agora::orders::v1::CreateOrderRequest()));
    CHECK(DescribeJsonError(std::string(R"({"items":[{"quantity":)") + bad + "}]}", create) ==
          "field 'items[0].quantity' must be a whole number from -2147483648 to 2147483647");
  }
}

TEST_CASE("a string holding U+0000 is refused: PostgreSQL's text cannot store it", "[unit]") {
  const auto* login = agora::customers::v1::LoginRequest::descriptor();
  CHECK(DescribeJsonError(R"({"email":"a\u0000b"})", login) == "field 'email' must not contain U+0000");
  CHECK(DescribeJsonError(R"({"email":"a\\u0000b"})", login).empty());  // a backslash, then "u0000"
  const auto* create = agora::orders::v1::CreateOrderRequest::descriptor();
  CHECK(DescribeJsonError(R"({"items":[{"productId":"x\u0000"}]})", create) ==
        "field 'items[0].productId' must not contain U+0000");
}

}  // namespace
}  // namespace agora::gateway
