#include <catch2/catch.hpp>
#include <set>

#include "absl/strings/ascii.h"

#include "runtime/ids/uuid.h"
#include "runtime/text/utf8.h"

namespace agora::runtime {
namespace {

TEST_CASE("code points are counted, not bytes", "[unit]") {
  CHECK(text::CodePointCount("") == 0u);
  CHECK(text::CodePointCount("abc") == 3u);
  CHECK(text::CodePointCount("h\xc3\xa9llo") == 5u);               // é
  CHECK(text::CodePointCount("\xe2\x82\xac") == 1u);               // €
  CHECK(text::CodePointCount("\xf0\x9f\x98\x80\xf0\x9f\x98\x80") == 2u);  // two emoji
}

TEST_CASE("invalid UTF-8 is refused", "[unit]") {
  CHECK_FALSE(text::CodePointCount("\xc3").has_value());          // truncated
  CHECK_FALSE(text::CodePointCount("\xc0\xaf").has_value());      // overlong '/'
  CHECK_FALSE(text::CodePointCount("\xed\xa0\x80").has_value());  // surrogate
  CHECK_FALSE(text::CodePointCount("\xf4\x90\x80\x80").has_value());  // > U+10FFFF
  CHECK_FALSE(text::CodePointCount("\xff").has_value());
}

TEST_CASE("new UUIDs are version 4, well formed and distinct", "[unit]") {
  for (auto make : {&ids::NewUuid, &ids::NewLabelUuid}) {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
      const std::string id = make();
      REQUIRE(ids::IsUuid(id));
      REQUIRE(id == absl::AsciiStrToLower(id));
      REQUIRE(id[14] == '4');
      REQUIRE(std::string("89ab").find(id[19]) != std::string::npos);
      seen.insert(id);
    }
    CHECK(seen.size() == 1000);
  }
}

TEST_CASE("name-based UUIDs are version 5 as RFC 4122 gives them: the same name, the same id", "[unit]") {
  // Python's uuid.uuid5(uuid.NAMESPACE_DNS, "www.example.com") and (NAMESPACE_URL, "agora").
  CHECK(ids::NameUuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com") ==
        "2ed6657d-e927-568b-95e1-2665a8aea6a2");
  CHECK(ids::NameUuid("6BA7B811-9DAD-11D1-80B4-00C04FD430C8", "agora") == "d4fb2e96-d157-54ba-9e27-dd91ea4fd825");
  CHECK(ids::NameUuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.org") !=
        ids::NameUuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com"));
}

TEST_CASE("only the canonical UUID form is accepted", "[unit]") {
  CHECK(ids::IsUuid("123e4567-e89b-12d3-a456-426614174000"));
  CHECK(ids::IsUuid("123E4567-E89B-12D3-A456-426614174000"));
  CHECK_FALSE(ids::IsUuid("123e4567e89b12d3a456426614174000"));
  CHECK_FALSE(ids::IsUuid("123e4567-e89b-12d3-a456-42661417400g"));
  CHECK_FALSE(ids::IsUuid("'; DROP TABLE products; --"));
  CHECK_FALSE(ids::IsUuid(""));
}

}  // namespace
}  // namespace agora::runtime
