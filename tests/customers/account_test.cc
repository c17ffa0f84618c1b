#include <catch2/catch.hpp>

#include "absl/strings/escaping.h"
#include "customers/account.h"
#include "customers/passwords.h"
#include "customers/refresh_tokens.h"

namespace agora::customers {
namespace {

TEST_CASE("emails need one @, both parts and no whitespace, and compare case-insensitively", "[unit]") {
  CHECK(*NormaliseEmail("Alice@Example.COM") == "alice@example.com");
  for (const char* bad : {"", " alice@example.com", "alice@example.com\n", "alice", "@example.com", "alice@", "a@b@c", "al ice@example.com",
                          "alice@exa\tmple.com"}) {
    CHECK(NormaliseEmail(bad).status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("emails compare case-insensitively beyond ASCII and refuse Unicode whitespace", "[unit]") {
  // É, Ö, Σ and Ж in upper and lower case name one account.
  CHECK(*NormaliseEmail("\xc3\x89LAN@X.Example") == "\xc3\xa9lan@x.example");
  CHECK(*NormaliseEmail("\xc3\x96\xce\xa3\xd0\x96@x.example") == "\xc3\xb6\xcf\x83\xd0\xb6@x.example");
  CHECK(*NormaliseEmail("\xc3\xa9lan@x.example") == "\xc3\xa9lan@x.example");
  // No-break space, em space, line separator, ideographic space, NEL: whitespace too.
  for (const char* space : {"\xc2\xa0", "\xe2\x80\x83", "\xe2\x80\xa8", "\xe3\x80\x80", "\xc2\x85"}) {
    INFO(space);
    CHECK(NormaliseEmail(std::string("al") + space + "ice@example.com").status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
  CHECK(NormaliseEmail("al\xffice@example.com").status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("passwords are 8 to 128 code points", "[unit]") {
  CHECK(ValidatePassword("12345678").ok());
  CHECK_FALSE(ValidatePassword("1234567").ok());
  CHECK(ValidatePassword(std::string(128, 'x')).ok());
  CHECK_FALSE(ValidatePassword(std::string(129, 'x')).ok());
  std::string eight_euros;
  for (int i = 0; i < 8; ++i) eight_euros += "\xe2\x82\xac";  // 24 bytes, 8 characters
  CHECK(ValidatePassword(eight_euros).ok());
  std::string long_euros;
  for (int i = 0; i < 129; ++i) long_euros += "\xe2\x82\xac";
  CHECK_FALSE(ValidatePassword(long_euros).ok());
}

TEST_CASE("a missing display name becomes the email's local part", "[unit]") {
  CHECK(*NormaliseDisplayName("", "alice@example.com") == "alice");
  CHECK(*NormaliseDisplayName(" Alice ", "alice@example.com") == "Alice");
  CHECK_FALSE(NormaliseDisplayName(std::string(101, 'a'), "a@b").ok());
}

TEST_CASE("top-ups are 1 to 100,000,000 cents and cart quantities 0 to 1000", "[unit]") {
  CHECK(ValidateTopUp(1, "").ok());
  CHECK(ValidateTopUp(100000000, "k").ok());
  CHECK_FALSE(ValidateTopUp(0, "").ok());
  CHECK_FALSE(ValidateTopUp(100000001, "").ok());
  CHECK_FALSE(ValidateTopUp(-5, "").ok());
  // Keys follow every route's rule (runtime/idempotency/key.h): 255 code points.
  CHECK(ValidateTopUp(5, std::string(255, 'k')).ok());
  CHECK(ValidateTopUp(5, std::string(256, 'k')).code() == absl::StatusCode::kInvalidArgument);
  CHECK(ValidateTopUp(5, "a\tb").code() == absl::StatusCode::kInvalidArgument);
  CHECK(ValidateCartQuantity(0).ok());
  CHECK(ValidateCartQuantity(1000).ok());
  CHECK_FALSE(ValidateCartQuantity(1001).ok());
  CHECK_FALSE(ValidateCartQuantity(-1).ok());
}

TEST_CASE("ledger tokens round-trip and garbage is refused", "[unit]") {
  const absl::Time t = absl::FromUnixMicros(1796000000123456);
  const std::optional<LedgerCursor> c = *DecodeLedgerToken(EncodeLedgerToken(LedgerCursor{t, 42}));
  REQUIRE(c.has_value());
  CHECK(c->seq == 42);
  REQUIRE(c->created_at.has_value());
  CHECK(*c->created_at == t);
  CHECK_FALSE(DecodeLedgerToken("").value().has_value());
  CHECK_FALSE(DecodeLedgerToken("bogus!").ok());
  CHECK_FALSE(DecodeLedgerToken(EncodeLedgerToken(LedgerCursor{t, -1})).ok());
  for (const char* raw : {"l2:", "l2:1", "l2:x:1", "l2:1:1:1", "l2:1:0", "l3:1:1", "l1:", "l1:0", "l1:x"}) {
    INFO(raw);
    CHECK_FALSE(DecodeLedgerToken(absl::WebSafeBase64Escape(raw)).ok());
  }
  // The first format, the sequence number alone, still reads (the store finds its time).
  const std::optional<LedgerCursor> old = *DecodeLedgerToken(absl::WebSafeBase64Escape("l1:17"));
  REQUIRE(old.has_value());
  CHECK(old->seq == 17);
  CHECK_FALSE(old->created_at.has_value());
}

TEST_CASE("Argon2id hashes verify only the right password and are salted", "[unit]") {
  PasswordHasher hasher({1, 8192});
  auto a = hasher.Hash("correct horse");
  auto b = hasher.Hash("correct horse");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->rfind("$argon2id$", 0) == 0);
  CHECK(*a != *b);
  CHECK(hasher.Verify(*a, "correct horse"));
  CHECK_FALSE(hasher.Verify(*a, "correct horsE"));
  CHECK(a->find("correct") == std::string::npos);
}

TEST_CASE("refresh tokens are random and stored only as a 32-byte hash", "[unit]") {
  const std::string t1 = NewRefreshToken();
  const std::string t2 = NewRefreshToken();
  CHECK(t1 != t2);
  CHECK(t1.size() > 40);
  CHECK(HashRefreshToken(t1).size() == 32);
  CHECK(HashRefreshToken(t1) == HashRefreshToken(t1));
  CHECK(HashRefreshToken(t1) != HashRefreshToken(t2));
}

}  // namespace
}  // namespace agora::customers
