#include "gateway/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace agora::gateway {

bool RateLimiter::Allow(const std::string& key, absl::Time now, absl::Duration* retry_after) {
  if (limit_.rate <= 0) return true;  // disabled
  absl::MutexLock lock(&mu_);
  if (buckets_.size() > 100000) {
    // Drop the buckets that have refilled: they carry no state.
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      const double refilled = it->second.tokens + absl::ToDoubleSeconds(now - it->second.updated) * limit_.rate;
      if (refilled >= limit_.burst) {
        buckets_.erase(it++);
      } else {
        ++it;
      }
    }
  }
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{limit_.burst, now});
  Bucket& b = it->second;
  if (!inserted) {
    b.tokens = std::min(limit_.burst, b.tokens + absl::ToDoubleSeconds(now - b.updated) * limit_.rate);
    b.updated = now;
  }
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return true;
  }
  *retry_after = absl::Seconds(std::ceil((1 - b.tokens) / limit_.rate));
  return false;
}

}  // namespace agora::gateway
