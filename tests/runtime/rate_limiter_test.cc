#include <catch2/catch.hpp>
#include <string>

#include "runtime/limits/address_bucket.h"
#include "runtime/limits/rate_limiter.h"

namespace agora::runtime::limits {
namespace {

TEST_CASE("a token bucket allows its burst, then its rate, per key", "[unit]") {
  RateLimiter limiter({10, 20});
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  absl::Duration retry;
  int allowed = 0;
  for (int i = 0; i < 30; ++i) allowed += limiter.Allow("a", t0, &retry) ? 1 : 0;
  CHECK(allowed == 20);
  CHECK(retry > absl::ZeroDuration());
  CHECK(limiter.Allow("b", t0, &retry));  // another client has its own bucket
  // Half a second later, 5 more tokens.
  allowed = 0;
  for (int i = 0; i < 10; ++i) allowed += limiter.Allow("a", t0 + absl::Milliseconds(500), &retry) ? 1 : 0;
  CHECK(allowed == 5);
}

TEST_CASE("Peek tells whether a token is there without taking it", "[unit]") {
  RateLimiter limiter({1, 2});
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  absl::Duration retry;
  CHECK(limiter.Peek("a", t0, &retry));  // unknown: a full bucket
  CHECK(limiter.Allow("a", t0, &retry));
  CHECK(limiter.Peek("a", t0, &retry));
  CHECK(limiter.Peek("a", t0, &retry));  // peeking takes nothing
  CHECK(limiter.Allow("a", t0, &retry));
  CHECK_FALSE(limiter.Peek("a", t0, &retry));
  CHECK(retry == absl::Seconds(1));
  CHECK(limiter.Peek("a", t0 + absl::Seconds(1), &retry));
}

TEST_CASE("a zero rate means no limit", "[unit]") {
  RateLimiter limiter({0, 0});
  absl::Duration retry;
  for (int i = 0; i < 1000; ++i) REQUIRE(limiter.Allow("a", absl::Now(), &retry));
}

TEST_CASE("the bucket table stays bounded: a flood of new keys evicts the least recently used", "[unit]") {
  RateLimiter limiter({1, 2, 1600});
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  absl::Duration retry;
  // A client that spends its burst and keeps coming back is never evicted
  // by a flood of one-off keys: it is always among the most recently used.
  REQUIRE(limiter.Allow("steady", t0, &retry));
  REQUIRE(limiter.Allow("steady", t0, &retry));
  for (int i = 0; i < 200000; ++i) {
    limiter.Allow("flood-" + std::to_string(i), t0, &retry);
    if (i % 50 == 0) CHECK_FALSE(limiter.Allow("steady", t0, &retry));
    REQUIRE(limiter.size() <= 1600);
  }
  CHECK(limiter.size() >= 1600 - RateLimiter::kShards);
  // The first flood keys are long gone: they start again with a full bucket.
  CHECK(limiter.Allow("flood-0", t0, &retry));
  CHECK(limiter.Allow("flood-0", t0, &retry));
  CHECK_FALSE(limiter.Allow("flood-0", t0, &retry));
}

TEST_CASE("per-address limits count an IPv6 address by its /64, IPv4 by itself", "[unit]") {
  CHECK(AddressBucket("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64");
  CHECK(AddressBucket("2001:DB8:1:2::ffff") == "2001:db8:1:2::/64");
  CHECK(AddressBucket("2001:db8:1:3::1") == "2001:db8:1:3::/64");
  CHECK(AddressBucket("::1") == "::/64");
  CHECK(AddressBucket("::ffff:192.0.2.9") == "192.0.2.9");  // IPv4-mapped: the IPv4 address
  CHECK(AddressBucket("192.0.2.9") == "192.0.2.9");
  CHECK(AddressBucket("fe80::1%eth0") == "fe80::1%eth0");  // not parsed: itself
  CHECK(AddressBucket("not:an:address") == "not:an:address");
  CHECK(AddressBucket("") == "");
}

TEST_CASE("a clock that steps back refills nothing and breaks nothing", "[unit]") {
  RateLimiter limiter({1, 1});
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  absl::Duration retry;
  CHECK(limiter.Allow("a", t0, &retry));
  CHECK_FALSE(limiter.Allow("a", t0 - absl::Seconds(30), &retry));
  CHECK_FALSE(limiter.Allow("a", t0, &retry));
  CHECK(limiter.Allow("a", t0 + absl::Seconds(1), &retry));
}

}  // namespace
}  // namespace agora::runtime::limits
