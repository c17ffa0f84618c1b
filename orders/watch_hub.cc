#include "orders/watch_hub.h"

#include <functional>
#include <pqxx/pqxx>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "runtime/ids/uuid.h"
#include "runtime/log/log.h"

namespace agora::orders {
namespace {

constexpr absl::Duration kWaitSlice = absl::Milliseconds(100);
constexpr absl::Duration kMaxBackoff = absl::Seconds(5);

class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& conn, std::function<void(const std::string&)> on_notice)
      : pqxx::notification_receiver(conn, kStatusChannel), on_notice_(std::move(on_notice)) {}
  void operator()(const std::string& payload, int /*backend_pid*/) override { on_notice_(payload); }

 private:
  std::function<void(const std::string&)> on_notice_;
};

}  // namespace

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

WatchHub::WatchHub(runtime::pg::ConnectionOptions options) : options_(std::move(options)) {}

WatchHub::~WatchHub() { Stop(); }

void WatchHub::Start() {
  thread_ = std::thread([this] { Run(); });
}

void WatchHub::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

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

void WatchHub::Run() {
  absl::Duration backoff = kWaitSlice;
  while (!stop_.load()) {
    absl::StatusOr<std::unique_ptr<pqxx::connection>> conn = runtime::pg::Connect(options_);
    if (conn.ok()) {
      try {
        Receiver receiver(**conn, [this](const std::string& payload) { Dispatch(payload); });
        listening_.store(true);
        runtime::log::Info("orders_watch_listening", {{"channel", kStatusChannel}});
        // Changes committed while nobody listened (before the first LISTEN,
        // or while the connection was down) reach their watchers this way.
        ResyncAll();
        backoff = kWaitSlice;
        while (!stop_.load()) {
          if (!(*conn)->is_open()) throw pqxx::broken_connection("LISTEN connection closed");
          (*conn)->await_notification(0, absl::ToInt64Microseconds(kWaitSlice));
        }
      } catch (const std::exception& e) {
        runtime::log::Warn("orders_watch_connection_lost", {{"error", e.what()}});
      }
      listening_.store(false);
    }
    for (absl::Duration waited; waited < backoff && !stop_.load(); waited += kWaitSlice) {
      absl::SleepFor(kWaitSlice);
    }
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

}  // namespace agora::orders
