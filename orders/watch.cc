#include "orders/watch.h"

#include <deque>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "orders/convert.h"
#include "orders/metrics.h"
#include "runtime/grpc/status.h"
#include "runtime/ids/uuid.h"

namespace agora::orders {
namespace {

using runtime::auth::Caller;

// Lifetime: gRPC calls OnDone once after Finish; executor tasks hold the
// reactor too (tasks_). Whichever of OnDone and the last task comes last
// deletes it. Lock order: the hub's lock, then mu_ (the hub calls us with its
// lock held; we never call the hub holding mu_).
class OrderWatcher final : public grpc::ServerWriteReactor<pb::Order>, public WatchHub::Listener {
 public:
  OrderWatcher(std::string order_id, std::string authorization, Store& store, WatchHub& hub,
               runtime::grpc_server::Executor& executor, const runtime::auth::Authorizer& authorizer)
      : order_id_(std::move(order_id)),
        authorization_(std::move(authorization)),
        store_(store),
        hub_(hub),
        executor_(executor),
        authorizer_(authorizer) {
    GetMetrics().watchers.Increment();
  }
  ~OrderWatcher() override { GetMetrics().watchers.Decrement(); }

  void Start() {
    absl::MutexLock lock(&mu_);
    if (!SubmitLocked(&OrderWatcher::Begin)) {
      FinishLocked(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "server busy, retry later"));
    }
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (finished_) {
      if (pending_finish_.has_value()) Finish(*std::move(pending_finish_));
      pending_finish_.reset();
      return;
    }
    if (!ok) return FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "stream closed"));
    if (last_written_terminal_) return FinishLocked(grpc::Status::OK);
    WriteNextLocked();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled"));
  }

  void OnDone() override {
    bool subscribed = false;
    {
      absl::MutexLock lock(&mu_);
      subscribed = subscribed_;
    }
    if (subscribed) hub_.Unsubscribe(order_id_, this);
    bool last = false;
    {
      absl::MutexLock lock(&mu_);
      done_ = true;
      last = tasks_ == 0;
    }
    if (last) delete this;
  }

  void OnStatusChanged(const StatusNotice& notice) override {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    if (!base_.has_value()) {
      early_.push_back(notice);  // replayed once the first load is sent
      return;
    }
    OfferLocked(ApplyNotice(*base_, notice));
  }

  void OnResync() override {
    absl::MutexLock lock(&mu_);
    SubmitLocked(&OrderWatcher::Load);
  }

 private:
  using Task = void (OrderWatcher::*)();

  // On the executor: who calls, then subscribe BEFORE the first load so that
  // no change committed after that load is missed.
  void Begin() {
    absl::StatusOr<Caller> caller =
        authorizer_.AuthorizeHeader(authorization_, kWatchOrderMethod, absl::Now());
    absl::Status refused;
    if (!caller.ok()) {
      refused = caller.status();
    } else if (!runtime::ids::IsUuid(order_id_)) {
      refused = absl::NotFoundError("order not found");
    }
    {
      absl::MutexLock lock(&mu_);
      if (!refused.ok()) return FinishLocked(runtime::grpc_server::ToGrpcStatus(refused));
      if (finished_) return;
      caller_ = *std::move(caller);
      subscribed_ = true;
    }
    hub_.Subscribe(order_id_, this);
    bool gone = false;
    {
      absl::MutexLock lock(&mu_);
      gone = finished_;  // finished meanwhile: OnDone may have missed this subscription
    }
    if (gone) return hub_.Unsubscribe(order_id_, this);
    Load();
  }

  // On the executor: the order as it is now, offered like a notice.
  void Load() {
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
    }
    absl::StatusOr<Order> order = store_.Get(order_id_);
    absl::MutexLock lock(&mu_);
    if (!order.ok()) return FinishLocked(runtime::grpc_server::ToGrpcStatus(order.status()));
    // Another customer's order is NOT_FOUND, like an unknown one.
    if (!caller_.CanAccess(order->customer_id)) {
      return FinishLocked(grpc::Status(grpc::StatusCode::NOT_FOUND,
                                       absl::StrCat("order ", order_id_, " not found")));
    }
    OfferLocked(*std::move(order));
  }

  // Queues `order` unless it is not newer than what was queued last (a
  // stale notice or a reload that saw nothing new).
  void OfferLocked(Order order) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || Rank(order.status) <= last_rank_) return;
    // The token again, before each event (a cache hit once verified): a
    // stream whose token has expired, or whose session was signed out,
    // since it began ends UNAUTHENTICATED instead of telling more.
    absl::StatusOr<Caller> still = authorizer_.AuthorizeHeader(authorization_, kWatchOrderMethod, absl::Now());
    if (!still.ok()) return FinishLocked(runtime::grpc_server::ToGrpcStatus(still.status()));
    const bool first = !base_.has_value();
    last_rank_ = Rank(order.status);
    base_ = order;
    queue_.push_back(std::move(order));
    if (first) {
      std::vector<StatusNotice> early;
      early.swap(early_);
      for (const StatusNotice& n : early) OfferLocked(ApplyNotice(*base_, n));
    }
    WriteNextLocked();
  }

  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || finished_ || queue_.empty()) return;
    ToProto(queue_.front(), &out_);
    last_written_terminal_ = IsTerminal(queue_.front().status);
    queue_.pop_front();
    writing_ = true;
    StartWrite(&out_);
  }

  // Finishes once; while a write is in flight, when it completes.
  void FinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    queue_.clear();
    early_.clear();
    if (writing_) {
      pending_finish_ = std::move(status);
      return;
    }
    Finish(std::move(status));
  }

  bool SubmitLocked(Task task) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || done_) return false;
    ++tasks_;
    if (executor_.Submit([this, task] {
          (this->*task)();
          TaskDone();
        })) {
      return true;
    }
    --tasks_;
    return false;
  }

  void TaskDone() {
    bool last = false;
    {
      absl::MutexLock lock(&mu_);
      --tasks_;
      last = done_ && tasks_ == 0;
    }
    if (last) delete this;
  }

  const std::string order_id_;
  const std::string authorization_;
  Store& store_;
  WatchHub& hub_;
  runtime::grpc_server::Executor& executor_;
  const runtime::auth::Authorizer& authorizer_;

  absl::Mutex mu_;
  Caller caller_ ABSL_GUARDED_BY(mu_);
  bool subscribed_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<Order> base_ ABSL_GUARDED_BY(mu_);  // the last order queued
  int last_rank_ ABSL_GUARDED_BY(mu_) = -1;
  std::vector<StatusNotice> early_ ABSL_GUARDED_BY(mu_);
  std::deque<Order> queue_ ABSL_GUARDED_BY(mu_);
  pb::Order out_ ABSL_GUARDED_BY(mu_);  // the message being written
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool last_written_terminal_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> pending_finish_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  int tasks_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

grpc::ServerWriteReactor<pb::Order>* StartWatch(grpc::CallbackServerContext* ctx,
                                                const std::string& order_id, Store& store,
                                                WatchHub& hub,
                                                runtime::grpc_server::Executor& executor,
                                                const runtime::auth::Authorizer& authorizer) {
  // The token is copied now: the context must not be touched off the
  // callback thread once the call may have ended.
  std::string authorization;
  const auto& md = ctx->client_metadata();
  if (auto it = md.find("authorization"); it != md.end()) {
    authorization.assign(it->second.data(), it->second.size());
  }
  // Notices carry the id as PostgreSQL prints it: lowercase.
  auto* watcher = new OrderWatcher(absl::AsciiStrToLower(order_id), std::move(authorization), store,
                                   hub, executor, authorizer);
  watcher->Start();
  return watcher;
}

}  // namespace agora::orders
