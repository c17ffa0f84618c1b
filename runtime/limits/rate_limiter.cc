#include "runtime/limits/rate_limiter.h"

#include <algorithm>
#include <cmath>

#include "absl/hash/hash.h"

namespace agora::runtime::limits {

RateLimiter::RateLimiter(RateLimit limit)
    : limit_(limit), per_shard_(std::max<size_t>(1, limit.max_keys / kShards)) {}

bool RateLimiter::Allow(const std::string& key, absl::Time now, absl::Duration* retry_after) {
  if (limit_.rate <= 0) return true;  // disabled
  Shard& shard = shards_[absl::Hash<std::string>()(key) % kShards];
  absl::MutexLock lock(&shard.mu);
  auto it = shard.buckets.find(key);
  if (it == shard.buckets.end()) {
    if (shard.buckets.size() >= per_shard_) {
      shard.buckets.erase(shard.order.back());
      shard.order.pop_back();
    }
    shard.order.push_front(key);
    it = shard.buckets.emplace(key, Bucket{limit_.burst, now, shard.order.begin()}).first;
  } else {
    shard.order.splice(shard.order.begin(), shard.order, it->second.lru);
  }
  Bucket& b = it->second;
  b.tokens = std::min(limit_.burst,
                      b.tokens + std::max(0.0, absl::ToDoubleSeconds(now - b.updated)) * limit_.rate);
  b.updated = std::max(b.updated, now);
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return true;
  }
  *retry_after = absl::Seconds(std::ceil((1 - b.tokens) / limit_.rate));
  return false;
}

bool RateLimiter::Peek(const std::string& key, absl::Time now, absl::Duration* retry_after) const {
  if (limit_.rate <= 0) return true;
  const Shard& shard = shards_[absl::Hash<std::string>()(key) % kShards];
  absl::MutexLock lock(&shard.mu);
  auto it = shard.buckets.find(key);
  if (it == shard.buckets.end()) return true;
  const double tokens = std::min(
      limit_.burst,
      it->second.tokens + std::max(0.0, absl::ToDoubleSeconds(now - it->second.updated)) * limit_.rate);
  if (tokens >= 1) return true;
  *retry_after = absl::Seconds(std::ceil((1 - tokens) / limit_.rate));
  return false;
}

size_t RateLimiter::size() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    absl::MutexLock lock(&s.mu);
    n += s.buckets.size();
  }
  return n;
}

}  // namespace agora::runtime::limits
