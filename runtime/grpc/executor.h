#pragma once

// A bounded pool of worker threads for blocking work (database calls) that
// must not run on gRPC's callback threads. Sized to the connection pool, so
// that a worker always finds a connection.
//
// Thread-safe. Destruction drains: queued work runs, then threads join.

#include <cstddef>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace agora::runtime::grpc_server {

class Executor final {
 public:
  // `threads` workers; at most `max_queued` tasks wait (beyond that Submit
  // refuses, so overload answers RESOURCE_EXHAUSTED instead of queueing
  // without bound).
  Executor(int threads, size_t max_queued);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // False when the queue is full or the executor is draining.
  [[nodiscard]] bool Submit(absl::AnyInvocable<void() &&> task);

  // Refuses new work, runs what is queued, joins the workers. Idempotent.
  void Drain();

 private:
  void Work();

  absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void() &&>> queue_ ABSL_GUARDED_BY(mu_);
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  const size_t max_queued_;
  std::vector<std::thread> threads_;  // last: joined first
};

}  // namespace agora::runtime::grpc_server
