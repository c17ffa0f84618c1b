#pragma once

// Token buckets by key (a client address, a customer id, an email): `rate` requests
// per second on average, bursts up to `burst`.
//
// Bounded by construction: the keys are spread over kShards shards, each
// with its own lock and at most max_keys / kShards buckets kept in
// least-recently-used order; a new key in a full shard evicts that shard's
// least recently used bucket in O(1). No call ever scans the table. An
// evicted bucket starts full again when its key returns, so the bound is set
// well above the number of clients active at once (default 100,000).
//
// Thread-safe.

#include <array>
#include <cstddef>
#include <list>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace agora::runtime::limits {

struct RateLimit {
  double rate = 200;   // tokens per second; <= 0: no limit
  double burst = 400;  // bucket size
  size_t max_keys = 100000;
};

class RateLimiter final {
 public:
  static constexpr size_t kShards = 16;

  explicit RateLimiter(RateLimit limit);
  // True if a request of `key` may pass now, and takes its token; else
  // `retry_after` is set.
  bool Allow(const std::string& key, absl::Time now, absl::Duration* retry_after);
  // True if `key` has a token now, taking none (a throttle that charges only
  // failures asks first, then charges with Allow); else `retry_after` is set.
  bool Peek(const std::string& key, absl::Time now, absl::Duration* retry_after) const;
  // Buckets held, for tests and metrics.
  size_t size() const;

 private:
  struct Bucket {
    double tokens;
    absl::Time updated;
    std::list<std::string>::iterator lru;  // its key's place in `order`
  };
  struct Shard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<std::string, Bucket> buckets ABSL_GUARDED_BY(mu);
    std::list<std::string> order ABSL_GUARDED_BY(mu);  // most recent first
  };
  const RateLimit limit_;
  const size_t per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace agora::runtime::limits
