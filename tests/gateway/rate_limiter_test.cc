#include <catch2/catch.hpp>

#include "gateway/rate_limiter.h"

namespace agora::gateway {
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

TEST_CASE("a zero rate means no limit", "[unit]") {
  RateLimiter limiter({0, 0});
  absl::Duration retry;
  for (int i = 0; i < 1000; ++i) REQUIRE(limiter.Allow("a", absl::Now(), &retry));
}

}  // namespace
}  // namespace agora::gateway
