#pragma once

// What the tests' fakes of another service share: a failure to answer every
// call with (FailWith), and how often they were called.

#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace agora::testing {

class FakeBackend {
 public:
  void FailWith(std::optional<absl::Status> failure) {
    absl::MutexLock lock(&mu_);
    failure_ = std::move(failure);
  }
  int calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

 protected:
  // Counts a call; the failure to answer it with, if any.
  std::optional<absl::Status> Called() {
    absl::MutexLock lock(&mu_);
    ++calls_;
    return failure_;
  }

 private:
  absl::Mutex mu_;
  std::optional<absl::Status> failure_ ABSL_GUARDED_BY(mu_);
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace agora::testing
