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
// An answer holds at most the newest 50,000 revocations of the window. So
// that a flood of sign-ins and sign-outs cannot push an earlier revocation
// out of it and bring its tokens back, a verifier keeps each id it was
// given for the window after it was last listed: an id drops out of the
// list only once its tokens have expired. (A process started during such a
// flood learns only what is listed from then on.)
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
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace agora::runtime::auth {

// The revoked session ids. Thread-safe; Revoked is on every request's path
// (a shared lock, skipped while the list is empty).
class RevokedSessions final {
 public:
  bool Revoked(std::string_view session_id) const;
  // A poll's answer at `now`: each id listed is kept until `now + window`;
  // ids not listed stay until their own time is up, then go.
  void Update(const std::vector<std::string>& session_ids, absl::Time now, absl::Duration window);
  size_t size() const { return size_.load(std::memory_order_acquire); }

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, absl::Time> until_ ABSL_GUARDED_BY(mu_);
  std::atomic<size_t> size_{0};
};

// One poll's answer: the sessions revoked within the window (the access
// tokens' lifetime plus a margin), newest first, perhaps cut short.
struct RevocationList {
  std::vector<std::string> session_ids;
  absl::Duration window;
};
using RevocationFetch = std::function<absl::StatusOr<RevocationList>()>;

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
