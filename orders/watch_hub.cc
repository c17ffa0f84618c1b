#include "orders/watch_hub.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "runtime/ids/uuid.h"
#include "runtime/log/log.h"

namespace agora::orders {

std::optional<StatusNotice> ParseStatusNotice(std::string_view payload) {
  const std::vector<std::string> parts = absl::StrSplit(std::string(payload), ' ');
  if (parts.size() != 4 || !runtime::ids::IsUuid(parts[0])) return std::nullopt;
  StatusNotice n;
  n.order_id = parts[0];
  const std::optional<Status> status = StatusFromName(parts[1]);
  if (!status.has_value()) return std::nullopt;
  n.status = *status;
  if (parts[2] != "-") {
    const std::optional<RejectionReason> reason = ReasonFromName(parts[2]);
    if (!reason.has_value()) return std::nullopt;
    n.reason = *reason;
  }
  int64_t micros = 0;
  if (!absl::SimpleAtoi(parts[3], &micros)) return std::nullopt;
  n.updated_at = absl::FromUnixMicros(micros);
  return n;
}

Order ApplyNotice(Order base, const StatusNotice& notice) {
  base.status = notice.status;
  base.rejection_reason = notice.reason;
  base.updated_at = notice.updated_at;
  return base;
}

WatchHub::WatchHub(runtime::pg::ConnectionOptions options)
    : listener_(std::move(options), kStatusChannel, "orders_watch",
                {.on_notice = [this](const std::string& payload) { Dispatch(payload); },
                 // Changes committed while nobody listened (before the first
                 // LISTEN, or while the connection was down) reach their
                 // watchers this way.
                 .on_listening = [this] { ResyncAll(); },
                 .on_lost = nullptr}) {}

WatchHub::~WatchHub() { Stop(); }

void WatchHub::Start() { listener_.Start(); }

void WatchHub::Stop() { listener_.Stop(); }

void WatchHub::Subscribe(const std::string& order_id, Listener* listener) {
  absl::MutexLock lock(&mu_);
  listeners_[order_id].insert(listener);
}

void WatchHub::Unsubscribe(const std::string& order_id, Listener* listener) {
  absl::MutexLock lock(&mu_);
  auto it = listeners_.find(order_id);
  if (it == listeners_.end()) return;
  it->second.erase(listener);
  if (it->second.empty()) listeners_.erase(it);
}

size_t WatchHub::listener_count() const {
  absl::MutexLock lock(&mu_);
  size_t n = 0;
  for (const auto& [id, set] : listeners_) n += set.size();
  return n;
}

void WatchHub::Dispatch(const std::string& payload) {
  const std::optional<StatusNotice> notice = ParseStatusNotice(payload);
  if (!notice.has_value()) {
    runtime::log::Warn("orders_watch_bad_notice", {{"payload", payload}});
    return;
  }
  absl::MutexLock lock(&mu_);
  auto it = listeners_.find(notice->order_id);
  if (it == listeners_.end()) return;
  for (Listener* l : it->second) l->OnStatusChanged(*notice);
}

void WatchHub::ResyncAll() {
  absl::MutexLock lock(&mu_);
  for (const auto& [id, set] : listeners_) {
    for (Listener* l : set) l->OnResync();
  }
}

}  // namespace agora::orders
