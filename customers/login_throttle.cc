#include "customers/login_throttle.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "runtime/status/reason.h"

namespace agora::customers {
namespace {

runtime::limits::RateLimit Bucket(int failures, absl::Duration window) {
  // `failures` tokens, refilled at `failures` per window; none: no limit.
  if (failures <= 0) return {0, 0};
  return {failures / absl::ToDoubleSeconds(window), static_cast<double>(failures)};
}

}  // namespace

LoginThrottle::LoginThrottle(ThrottleOptions options)
    : by_account_(Bucket(options.failures, options.window)),
      by_address_(Bucket(options.address_failures, options.window)) {}

absl::Status LoginThrottle::Check(const std::string& account, const std::string& address,
                                  absl::Time now) const {
  absl::Duration wait;
  const bool account_ok = account.empty() || by_account_.Peek(account, now, &wait);
  absl::Duration address_wait;
  const bool address_ok = address.empty() || by_address_.Peek(address, now, &address_wait);
  if (account_ok && address_ok) return absl::OkStatus();
  if (!address_ok) wait = account_ok ? address_wait : std::max(wait, address_wait);
  return runtime::status::WithRetryAfter(
      absl::ResourceExhaustedError(absl::StrCat(
          "too many failed sign-ins; try again in ",
          // Rounded as Retry-After is (runtime/status/reason.h).
          std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(wait, absl::Seconds(1)))), " s")),
      "SIGN_IN_THROTTLED", wait);
}

void LoginThrottle::Failed(const std::string& account, const std::string& address, absl::Time now) {
  absl::Duration ignored;
  if (!account.empty()) by_account_.Allow(account, now, &ignored);
  if (!address.empty()) by_address_.Allow(address, now, &ignored);
}

}  // namespace agora::customers
