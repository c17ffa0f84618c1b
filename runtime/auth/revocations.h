#pragma once

// Signed-out sessions, so that logout ends the access tokens of its family
// within a bounded time, not only when they expire (up to 15 minutes).
//
// An access token carries "sid", the id of the refresh-token family its
// login started. A family is revoked by logout, by a refresh token presented
// twice, and by a password reset. customers answers the families revoked
// within the access tokens' lifetime (Customers.ListRevokedSessions); every
// process that checks tokens (the gateway and each service) holds that list
// in a RevokedSessions, refreshed by a RevocationPoller every
// AGORA_REVOCATION_POLL_INTERVAL (5 s), and its Authorizer refuses a token
// whose sid is on it. The bound is therefore the poll interval plus one
// call. A failed poll keeps the list there is (tokens still expire by their
// own exp); failures are counted and alerted on.
//
// Metrics: agora_revocation_polls_total{outcome="ok"|"error"},
// agora_revocation_last_success_timestamp_seconds, agora_revoked_sessions.

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace agora::runtime::auth {

// The revoked session ids. Thread-safe; Revoked is on every request's path
// (a shared lock, skipped while the list is empty).
class RevokedSessions final {
 public:
  bool Revoked(std::string_view session_id) const;
  // Replaces the whole list (each poll answers all of it).
  void Replace(std::vector<std::string> session_ids);
  size_t size() const { return size_.load(std::memory_order_acquire); }

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_set<std::string> ids_ ABSL_GUARDED_BY(mu_);
  std::atomic<size_t> size_{0};
};

// One poll: every session revoked within the access tokens' lifetime.
using RevocationFetch = std::function<absl::StatusOr<std::vector<std::string>>()>;

// Polls `fetch` into `list` now and then every `every` on its own thread,
// until destroyed.
class RevocationPoller final {
 public:
  RevocationPoller(RevokedSessions& list, RevocationFetch fetch, absl::Duration every);
  ~RevocationPoller();
  RevocationPoller(const RevocationPoller&) = delete;
  RevocationPoller& operator=(const RevocationPoller&) = delete;

  // Polls once on the caller's thread (tests); whether it succeeded.
  bool PollNow();

 private:
  void Loop();

  RevokedSessions& list_;
  RevocationFetch fetch_;
  const absl::Duration every_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool failing_ ABSL_GUARDED_BY(mu_) = false;  // logs a failure once, not every poll
  // Last: runs Loop, stops first.
  std::thread thread_;
};

}  // namespace agora::runtime::auth
