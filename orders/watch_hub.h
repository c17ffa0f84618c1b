#pragma once

// The fan-out behind WatchOrder: one LISTEN connection per process on the
// channel that the orders table's trigger notifies at each committed status
// change (migrations/0001_orders.sql), dispatching each notice to the
// listeners of that order. No polling: a notice arrives at commit.
//
// A connection lost and re-opened may have missed notices: every listener is
// then asked to reload (OnResync), as it is after the first LISTEN.
//
// Thread-safe. Listeners are called on the hub's thread with its lock held:
// they must be quick and must not call back into the hub.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "orders/order.h"
#include "runtime/pg/listener.h"
#include "runtime/pg/pool.h"

namespace agora::orders {

inline constexpr char kStatusChannel[] = "orders_status";

// One committed status change, as the trigger describes it.
struct StatusNotice {
  std::string order_id;
  Status status = Status::kPending;
  RejectionReason reason = RejectionReason::kNone;
  absl::Time updated_at;
};

// "<id> <STATUS> <REASON or -> <updated_at micros>"; nullopt if malformed.
std::optional<StatusNotice> ParseStatusNotice(std::string_view payload);

// The order `notice` describes, from `base` (the same order loaded earlier:
// its lines, total and times do not change).
Order ApplyNotice(Order base, const StatusNotice& notice);

class WatchHub final {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void OnStatusChanged(const StatusNotice& notice) = 0;
    // Notices may have been missed: reload the order.
    virtual void OnResync() = 0;
  };

  // Connects with `options` (the service's own role and database).
  explicit WatchHub(runtime::pg::ConnectionOptions options);
  ~WatchHub();
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  // Starts the listening thread (reconnects with backoff, see
  // runtime/pg/listener.h). Stop joins it; idempotent.
  void Start();
  void Stop();

  // `listener` (borrowed) gets the notices of `order_id` until Unsubscribe,
  // after whose return it is never called again.
  void Subscribe(const std::string& order_id, Listener* listener);
  void Unsubscribe(const std::string& order_id, Listener* listener);

  // LISTEN is in place (tests wait for it).
  bool listening() const { return listener_.listening(); }
  // Listeners subscribed now.
  size_t listener_count() const;

 private:
  void Dispatch(const std::string& payload);
  void ResyncAll();

  mutable absl::Mutex mu_;
  std::map<std::string, std::set<Listener*>> listeners_ ABSL_GUARDED_BY(mu_);
  runtime::pg::Listener listener_;  // last: stopped first
};

}  // namespace agora::orders
