#include "runtime/auth/revocations.h"

#include <algorithm>
#include <utility>

#include "absl/time/clock.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "runtime/log/log.h"
#include "runtime/metrics/metrics.h"

namespace agora::runtime::auth {
namespace {

struct PollMetrics {
  prometheus::Counter& ok;
  prometheus::Counter& error;
  prometheus::Gauge& last_success;
  prometheus::Gauge& sessions;
};

PollMetrics& Metrics() {
  static PollMetrics* const m = [] {
    auto& r = metrics::Registry();
    auto& polls = prometheus::BuildCounter()
                      .Name("agora_revocation_polls_total")
                      .Help("Polls of the revoked sessions (signed out) from customers, by outcome (ok, error).")
                      .Register(r);
    return new PollMetrics{
        polls.Add({{"outcome", "ok"}}), polls.Add({{"outcome", "error"}}),
        prometheus::BuildGauge()
            .Name("agora_revocation_last_success_timestamp_seconds")
            .Help("Unix time of the last successful poll of the revoked sessions (0: none yet).")
            .Register(r)
            .Add({}),
        prometheus::BuildGauge()
            .Name("agora_revoked_sessions")
            .Help("Revoked sessions whose access tokens this process refuses.")
            .Register(r)
            .Add({})};
  }();
  return *m;
}

}  // namespace

bool RevokedSessions::Revoked(std::string_view session_id) const {
  if (session_id.empty() || size_.load(std::memory_order_acquire) == 0) return false;
  absl::ReaderMutexLock lock(&mu_);
  return until_.contains(absl::string_view(session_id.data(), session_id.size()));
}

void RevokedSessions::Update(const std::vector<std::string>& session_ids, absl::Time now, absl::Duration window) {
  const absl::Time until = now + window;
  absl::MutexLock lock(&mu_);
  absl::erase_if(until_, [now](const auto& entry) { return entry.second < now; });
  for (const std::string& id : session_ids) {
    auto [it, added] = until_.try_emplace(id, until);
    if (!added) it->second = std::max(it->second, until);
  }
  size_.store(until_.size(), std::memory_order_release);
}

RevocationPoller::RevocationPoller(RevokedSessions& list, RevocationFetch fetch, absl::Duration every)
    : list_(list), fetch_(std::move(fetch)), every_(every) {
  Metrics();  // every series exists from the start
  thread_ = std::thread([this] {
    log::NameThisThread("revocations");
    Loop();
  });
}

RevocationPoller::~RevocationPoller() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

bool RevocationPoller::PollNow() {
  absl::StatusOr<RevocationList> answer = fetch_();
  PollMetrics& m = Metrics();
  absl::MutexLock lock(&mu_);
  if (!answer.ok()) {
    m.error.Increment();
    if (!failing_) {
      log::Warn("revocation_poll_failed", {{"error", answer.status().message()}});
      failing_ = true;
    }
    return false;
  }
  if (failing_) log::Info("revocation_poll_recovered");
  failing_ = false;
  m.ok.Increment();
  const absl::Time now = absl::Now();
  m.last_success.Set(static_cast<double>(absl::ToUnixMillis(now)) / 1000.0);
  list_.Update(answer->session_ids, now, answer->window);
  m.sessions.Set(static_cast<double>(list_.size()));
  return true;
}

void RevocationPoller::Loop() {
  for (;;) {
    PollNow();
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), every_)) return;
  }
}

}  // namespace agora::runtime::auth
