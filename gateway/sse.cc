#include "gateway/sse.h"

#include <atomic>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gateway/error_mapping.h"
#include "gateway/forwarded_headers.h"
#include "gateway/transcoder.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/alarm.h"
#include "grpcpp/grpcpp.h"
#include "runtime/grpc/client.h"

namespace agora::gateway {
namespace {

// The wait for a stream's first event. A backend that accepts the call and
// never answers (stopped, overloaded) would otherwise hold the client until
// the stream's own deadline (30 min) with no status at all, where every
// unary route answers 504 after the upstream timeout. Shared with the
// alarm's callback, which may run after the bridge (and its alarm, which
// cancels itself when destroyed) is gone; it holds no alarm itself, so the
// callback never destroys the alarm that runs it.
struct FirstEventTimer {
  std::weak_ptr<grpc::ClientContext> ctx;
  std::atomic<bool> first_seen{false};
  std::atomic<bool> expired{false};
};

class Bridge final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  Bridge(SseCall call, Exchange exchange, std::function<void(int)> on_end)
      : call_(std::move(call)), exchange_(std::move(exchange)), on_end_(std::move(on_end)),
        ctx_(std::make_shared<grpc::ClientContext>()) {
    ctx_->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(call_.timeout));
    for (const auto& [k, v] : call_.metadata) {
      if (IsLegalMetadataValue(v)) ctx_->AddMetadata(k, v);  // see Upstreams::Call
    }
    grpc::Slice slice(call_.request);
    request_ = grpc::ByteBuffer(&slice, 1);
  }

  void Start(grpc::GenericStub& stub) {
    const auto* m = call_.binding->method;
    stub.PrepareBidiStreamingCall(ctx_.get(), absl::StrCat("/", m->service()->full_name(), "/", m->name()),
                                  grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&response_);
    if (call_.first_event_timeout < call_.timeout) {
      timer_ = std::make_shared<FirstEventTimer>();
      timer_->ctx = ctx_;
      alarm_.Set(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(call_.first_event_timeout),
                 [timer = timer_](bool fired) {
                   if (!fired || timer->first_seen.load()) return;
                   timer->expired.store(true);
                   if (auto ctx = timer->ctx.lock()) ctx->TryCancel();
                 });
    }
    StartCall();
  }

  void OnWriteDone(bool) override {}

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the stream ended; OnDone follows
    absl::StatusOr<std::string> json = RenderResponse(*call_.binding, runtime::grpc_client::ByteBufferToString(response_));
    if (!json.ok()) {
      ctx_->TryCancel();
      return;
    }
    if (timer_ != nullptr && !timer_->first_seen.exchange(true)) {
      if (timer_->expired.load()) return;  // too late: the call is being cancelled
      alarm_.Cancel();
    }
    if (writer_ == nullptr) {
      writer_ = exchange_.stream();
      HttpResponse head = call_.head;
      head.status = 200;
      head.Set("Content-Type", "text/event-stream");
      head.Set("Cache-Control", "no-cache");
      head.Set("X-Accel-Buffering", "no");
      writer_->Begin(head);
      std::weak_ptr<grpc::ClientContext> weak = ctx_;
      writer_->OnClientGone([weak] {
        if (auto ctx = weak.lock()) ctx->TryCancel();
      });
    }
    if (!writer_->Write(absl::StrCat("data: ", *json, "\n\n"))) {
      ctx_->TryCancel();
      return;
    }
    StartRead(&response_);
  }

  void OnDone(const grpc::Status& status) override {
    bool timed_out = false;  // no first event in time: a 504, whatever the cancelled call says
    if (timer_ != nullptr) {
      timer_->first_seen.store(true);  // an alarm still pending does nothing
      alarm_.Cancel();
      timed_out = timer_->expired.load() && writer_ == nullptr;
    }
    const int code =
        timed_out ? static_cast<int>(grpc::StatusCode::DEADLINE_EXCEEDED) : static_cast<int>(status.error_code());
    if (writer_ == nullptr) {
      // Nothing streamed yet: an ordinary answer.
      HttpResponse r = code == 0   ? call_.head
                       : timed_out ? BackendError(code, "the backend did not answer in time", "")
                                   : BackendError(code, status.error_message(), status.error_details());
      if (code == 0) {
        r.Set("Content-Type", "text/event-stream");
      } else {
        for (auto& h : call_.head.headers) r.headers.push_back(h);
      }
      on_end_(r.status);
      exchange_.respond(std::move(r));
    } else {
      if (code != 0 && status.error_code() != grpc::StatusCode::CANCELLED) {
        const HttpResponse e = BackendError(code, status.error_message(), status.error_details());
        writer_->Write(absl::StrCat("event: error\ndata: ", e.body, "\n\n"));
      }
      writer_->Finish();
      on_end_(200);
    }
    delete this;
  }

 private:
  SseCall call_;
  Exchange exchange_;
  std::function<void(int)> on_end_;
  std::shared_ptr<grpc::ClientContext> ctx_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  std::shared_ptr<StreamWriter> writer_;
  std::shared_ptr<FirstEventTimer> timer_;
  grpc::Alarm alarm_;
};

}  // namespace

void StartSse(grpc::GenericStub& stub, SseCall call, Exchange exchange, std::function<void(int)> on_end) {
  (new Bridge(std::move(call), std::move(exchange), std::move(on_end)))->Start(stub);
}

}  // namespace agora::gateway
