#include "gateway/sse.h"

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gateway/error_mapping.h"
#include "gateway/forwarded_headers.h"
#include "gateway/transcoder.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/grpcpp.h"
#include "runtime/grpc/client.h"

namespace agora::gateway {
namespace {

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
    const int code = static_cast<int>(status.error_code());
    if (writer_ == nullptr) {
      // Nothing streamed yet: an ordinary answer.
      HttpResponse r =
          code == 0 ? call_.head : BackendError(code, status.error_message(), status.error_details());
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
};

}  // namespace

void StartSse(grpc::GenericStub& stub, SseCall call, Exchange exchange, std::function<void(int)> on_end) {
  (new Bridge(std::move(call), std::move(exchange), std::move(on_end)))->Start(stub);
}

}  // namespace agora::gateway
