#pragma once

// Token buckets by key (a client address or a customer id): `rate` requests
// per second on average, bursts up to `burst`. Thread-safe; memory bounded
// (idle buckets are dropped).

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace agora::gateway {

struct RateLimit {
  double rate = 200;   // tokens per second
  double burst = 400;  // bucket size
};

class RateLimiter final {
 public:
  explicit RateLimiter(RateLimit limit) : limit_(limit) {}
  // True if a request of `key` may pass now; else `retry_after` is set.
  bool Allow(const std::string& key, absl::Time now, absl::Duration* retry_after);

 private:
  struct Bucket {
    double tokens;
    absl::Time updated;
  };
  const RateLimit limit_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace agora::gateway
