// What crosses from HTTP into gRPC metadata (gateway/forwarded_headers.h).

#include "gateway/forwarded_headers.h"

#include <catch2/catch.hpp>
#include <string>
#include <utility>

#include "gateway/http_types.h"

namespace agora::gateway {
namespace {

const std::string kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

HttpRequest With(std::vector<std::pair<std::string, std::string>> headers) {
  HttpRequest r;
  r.headers = std::move(headers);
  return r;
}

std::string Get(const Metadata& md, const std::string& key) {
  for (const auto& [k, v] : md) {
    if (k == key) return v;
  }
  return "<absent>";
}

TEST_CASE("a metadata value is legal only when every byte is printable ASCII", "[unit]") {
  CHECK(IsLegalMetadataValue(""));
  CHECK(IsLegalMetadataValue("Bearer abc.def-ghi_~ !\"#$%&'()*+,/:;<=>?@[\\]^`{|}"));
  for (int c = 0; c < 256; ++c) {
    const std::string v = std::string("a") + static_cast<char>(c) + "b";
    INFO(c);
    CHECK(IsLegalMetadataValue(v) == (c >= 0x20 && c <= 0x7e));
  }
}

TEST_CASE("a traceparent is forwarded only in W3C form; anything else is dropped", "[unit]") {
  CHECK(IsValidTraceparent(kTraceparent));
  CHECK(IsValidTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future"));
  CHECK(IsValidTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"));
  for (const std::string& bad : {
           std::string("a\tb"), std::string(""), kTraceparent + "-x",  // version 00 has no more fields
           std::string("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"),  // upper case
           std::string("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),  // version ff
           std::string("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),  // zero trace id
           std::string("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"),  // zero parent
           std::string("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g"),
           std::string("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
           std::string("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x"),
           std::string("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-\xff"),
           kTraceparent.substr(0, 54)}) {
    INFO(bad);
    CHECK_FALSE(IsValidTraceparent(bad));
  }
}

TEST_CASE("forwarded metadata: legal values pass, bad trace context is dropped, bad credentials refused",
          "[unit]") {
  SECTION("everything legal is forwarded, with the response's request id") {
    absl::StatusOr<Metadata> md = ForwardedMetadata(
        With({{"authorization", "Bearer t"}, {"traceparent", kTraceparent}, {"tracestate", "a=1,b=2"},
              {"x-request-id", "ignored: the caller passes the id it answers with"}}),
        "rid-1");
    REQUIRE(md.ok());
    CHECK(Get(*md, "authorization") == "Bearer t");
    CHECK(Get(*md, "traceparent") == kTraceparent);
    CHECK(Get(*md, "tracestate") == "a=1,b=2");
    CHECK(Get(*md, "x-request-id") == "rid-1");
    CHECK(md->size() == 4);
  }
  SECTION("the client address is the one the gateway saw, never the client's own claim") {
    HttpRequest r = With({{"x-forwarded-for", "10.0.0.1"}});
    r.remote_address = "192.0.2.7";
    absl::StatusOr<Metadata> md = ForwardedMetadata(r, "rid");
    REQUIRE(md.ok());
    CHECK(Get(*md, "x-forwarded-for") == "192.0.2.7");
    CHECK(md->size() == 2);
  }
  SECTION("a malformed traceparent is dropped, and its tracestate with it") {
    absl::StatusOr<Metadata> md =
        ForwardedMetadata(With({{"traceparent", "a\tb"}, {"tracestate", "a=1"}}), "rid");
    REQUIRE(md.ok());
    CHECK(Get(*md, "traceparent") == "<absent>");
    CHECK(Get(*md, "tracestate") == "<absent>");
  }
  SECTION("a tracestate with a byte gRPC refuses, or too long, is dropped alone") {
    for (const std::string& ts : {std::string("a=\x80"), std::string("a=\tb"), std::string(513, 'a')}) {
      absl::StatusOr<Metadata> md =
          ForwardedMetadata(With({{"traceparent", kTraceparent}, {"tracestate", ts}}), "rid");
      REQUIRE(md.ok());
      CHECK(Get(*md, "traceparent") == kTraceparent);
      CHECK(Get(*md, "tracestate") == "<absent>");
    }
  }
  SECTION("an Authorization gRPC would refuse is INVALID_ARGUMENT naming the header") {
    for (const std::string& auth : {std::string("x\ty"), std::string("Bearer \x80\x81"),
                                   std::string("Bearer a\0b", 10),
                                   "Bearer " + std::string(kMaxAuthorizationBytes, 'a')}) {
      absl::StatusOr<Metadata> md = ForwardedMetadata(With({{"authorization", auth}}), "rid");
      REQUIRE_FALSE(md.ok());
      CHECK(md.status().code() == absl::StatusCode::kInvalidArgument);
      CHECK(md.status().message().find("Authorization") != std::string::npos);
    }
  }
  SECTION("an Idempotency-Key the services would refuse is INVALID_ARGUMENT naming the header") {
    for (const std::string& key : {std::string("\xff\xfe"), std::string("a\tb"), std::string(256, 'k'),
                                  std::string("a\0b", 3)}) {
      absl::StatusOr<Metadata> md = ForwardedMetadata(With({{"idempotency-key", key}}), "rid");
      REQUIRE_FALSE(md.ok());
      CHECK(md.status().code() == absl::StatusCode::kInvalidArgument);
      CHECK(md.status().message().find("Idempotency-Key") != std::string::npos);
    }
    CHECK(ForwardedMetadata(With({{"idempotency-key", "caf\xc3\xa9-1"}}), "rid").ok());
  }
}

TEST_CASE("every value ForwardedMetadata returns is legal gRPC metadata, whatever the bytes in",
          "[unit]") {
  // Every single byte in every forwarded header: either refused, or legal.
  for (int c = 0; c < 256; ++c) {
    const std::string v = std::string("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0") +
                          static_cast<char>(c);
    for (const char* name : {"authorization", "traceparent", "tracestate", "idempotency-key"}) {
      absl::StatusOr<Metadata> md = ForwardedMetadata(With({{name, v}}), "rid");
      if (!md.ok()) continue;
      for (const auto& [k, value] : *md) {
        INFO(name << " byte " << c);
        CHECK(IsLegalMetadataValue(value));
      }
    }
  }
}

TEST_CASE("a response header set twice holds the last value, once, whatever the case of its name", "[unit]") {
  HttpResponse r;
  r.Set("Retry-After", "1");
  r.Set("Content-Type", "application/json");
  r.Set("retry-after", "5");
  REQUIRE(r.headers.size() == 2);
  CHECK(r.headers[0] == std::make_pair(std::string("Retry-After"), std::string("5")));
  CHECK(r.headers[1].first == "Content-Type");
}

}  // namespace
}  // namespace agora::gateway
