#include "runtime/pg/listener.h"

#include <algorithm>
#include <exception>
#include <pqxx/pqxx>

#include "absl/time/clock.h"
#include "runtime/log/log.h"

namespace agora::runtime::pg {
namespace {

constexpr absl::Duration kWaitSlice = absl::Milliseconds(100);
constexpr absl::Duration kMaxBackoff = absl::Seconds(5);

class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& conn, const std::string& channel,
           const std::function<void(const std::string&)>& on_notice)
      : pqxx::notification_receiver(conn, channel), on_notice_(on_notice) {}
  void operator()(const std::string& payload, int /*backend_pid*/) override { on_notice_(payload); }

 private:
  const std::function<void(const std::string&)>& on_notice_;
};

}  // namespace

Listener::Listener(ConnectionOptions options, std::string channel, std::string name, Callbacks callbacks)
    : options_(std::move(options)),
      channel_(std::move(channel)),
      name_(std::move(name)),
      callbacks_(std::move(callbacks)) {}

Listener::~Listener() { Stop(); }

void Listener::Start() {
  thread_ = std::thread([this] {
    log::NameThisThread("pg-listen");
    Run();
  });
}

void Listener::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

void Listener::Run() {
  absl::Duration backoff = kWaitSlice;
  while (!stop_.load()) {
    absl::StatusOr<std::unique_ptr<pqxx::connection>> conn = Connect(options_);
    if (conn.ok()) {
      bool listened = false;
      try {
        Receiver receiver(**conn, channel_, callbacks_.on_notice);
        listened = true;
        listening_.store(true);
        log::Info(name_ + "_listening", {{"channel", channel_}});
        if (callbacks_.on_listening) callbacks_.on_listening();
        backoff = kWaitSlice;
        while (!stop_.load()) {
          if (!(*conn)->is_open()) throw pqxx::broken_connection("LISTEN connection closed");
          (*conn)->await_notification(0, absl::ToInt64Microseconds(kWaitSlice));
        }
      } catch (const std::exception& e) {
        log::Warn(name_ + "_connection_lost", {{"error", e.what()}});
      }
      listening_.store(false);
      if (listened && callbacks_.on_lost) callbacks_.on_lost();
    }
    for (absl::Duration waited; waited < backoff && !stop_.load(); waited += kWaitSlice) {
      absl::SleepFor(kWaitSlice);
    }
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

}  // namespace agora::runtime::pg
