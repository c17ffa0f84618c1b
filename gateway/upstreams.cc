#include "gateway/upstreams.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gateway/forwarded_headers.h"
#include "grpcpp/grpcpp.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "runtime/grpc/client.h"
#include "runtime/grpc/status.h"
#include "runtime/metrics/cached_family.h"
#include "runtime/metrics/metrics.h"

namespace agora::gateway {
namespace {

struct ClientMetrics {
  runtime::metrics::CachedFamily<prometheus::Counter> handled;   // service, method, code
  runtime::metrics::CachedFamily<prometheus::Histogram> seconds;  // service
};

ClientMetrics& Metrics() {
  static auto* const m = new ClientMetrics{
      {prometheus::BuildCounter()
           .Name("grpc_client_handled_total")
           .Help("Backend calls made by the gateway, by status code.")
           .Register(runtime::metrics::Registry()),
       {"grpc_service", "grpc_method", "grpc_code"}},
      {prometheus::BuildHistogram()
           .Name("grpc_client_handling_seconds")
           .Help("Latency of backend calls made by the gateway.")
           .Register(runtime::metrics::Registry()),
       {"grpc_service"}}};
  return *m;
}

struct InFlight {
  grpc::ClientContext ctx;
  grpc::ByteBuffer request;
  grpc::ByteBuffer response;
  UpstreamDone done;
  std::string service;
  std::string method;
  absl::Time start;
};

}  // namespace

Upstreams::Upstreams(const std::map<std::string, std::string>& addresses) {
  for (const auto& [service, address] : addresses) {
    auto b = std::make_unique<Backend>();
    b->address = address;
    b->channel = runtime::grpc_client::NewChannel(address);
    b->stub = std::make_unique<grpc::GenericStub>(b->channel);
    backends_[service] = std::move(b);
  }
}

std::shared_ptr<grpc::Channel> Upstreams::ChannelFor(const std::string& service) const {
  auto it = backends_.find(service);
  return it == backends_.end() ? nullptr : it->second->channel;
}

grpc::GenericStub* Upstreams::StubFor(const std::string& service) {
  auto it = backends_.find(service);
  return it == backends_.end() ? nullptr : it->second->stub.get();
}

void Upstreams::Call(UpstreamCall call, UpstreamDone done) {
  grpc::GenericStub* stub = StubFor(call.service);
  if (stub == nullptr) {
    done(12, "no backend serves " + call.service, "");
    return;
  }
  // A deadline that has passed already (a client's tiny Grpc-Timeout) fails
  // here, deterministically, instead of racing the backend's answer.
  const absl::Time start = absl::Now();
  const absl::Time deadline = start + call.timeout;
  if (deadline <= absl::Now()) {
    done(4, "deadline exceeded before the backend was called", "");
    return;
  }
  auto* f = new InFlight;
  f->done = std::move(done);
  f->service = call.service;
  f->method = call.method;
  f->start = start;
  f->ctx.set_deadline(absl::ToChronoTime(deadline));
  for (const auto& [k, v] : call.metadata) {
    // Checked by ForwardedMetadata already; an illegal value would abort
    // the process inside gRPC, so it is never passed, whatever the caller.
    if (IsLegalMetadataValue(v)) f->ctx.AddMetadata(k, v);
  }
  grpc::Slice slice(call.request);
  f->request = grpc::ByteBuffer(&slice, 1);
  stub->UnaryCall(&f->ctx, absl::StrCat("/", call.service, "/", call.method), grpc::StubOptions(),
                  &f->request, &f->response, [f](grpc::Status status) {
                    std::unique_ptr<InFlight> owned(f);
                    const int code = static_cast<int>(status.error_code());
                    ClientMetrics& m = Metrics();
                    m.handled.Get({f->service, f->method, runtime::grpc_server::GrpcCodeName(code)})
                        .Increment();
                    m.seconds.Get({f->service}, runtime::metrics::LatencyBuckets())
                        .Observe(absl::ToDoubleSeconds(absl::Now() - f->start));
                    f->done(code, status.error_message(),
                            code == 0 ? runtime::grpc_client::ByteBufferToString(f->response)
                                      : status.error_details());
                  });
}

static std::string BackendName(const std::string& service) {
  // "agora.reviews.v1.Reviews" -> "reviews"; any other name as it is.
  const std::vector<absl::string_view> parts = absl::StrSplit(service, '.');
  return parts.size() >= 3 && parts[0] == "agora" ? std::string(parts[1]) : service;
}

void Upstreams::CheckHealth(absl::Duration timeout,
                            std::function<void(std::vector<std::string>)> done) {
  // One round of checks; the last answer calls `done`.
  struct Round {
    absl::Mutex mu;
    size_t pending ABSL_GUARDED_BY(mu) = 0;
    std::vector<std::string> unhealthy ABSL_GUARDED_BY(mu);
    std::function<void(std::vector<std::string>)> done;
  };
  auto round = std::make_shared<Round>();
  round->done = std::move(done);
  {
    absl::MutexLock lock(&round->mu);
    round->pending = backends_.size();
  }
  if (backends_.empty()) return round->done({});
  for (const auto& [service, backend] : backends_) {
    auto* f = new InFlight;
    f->service = service;
    f->ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    grpc::Slice empty("");
    f->request = grpc::ByteBuffer(&empty, 1);
    backend->stub->UnaryCall(
        &f->ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &f->request, &f->response,
        [f, round](grpc::Status s) {
          std::unique_ptr<InFlight> owned(f);
          // HealthCheckResponse{status: SERVING} is 08 01.
          const bool serving = s.ok() && runtime::grpc_client::ByteBufferToString(f->response) ==
                                             std::string("\x08\x01", 2);
          std::vector<std::string> result;
          {
            absl::MutexLock lock(&round->mu);
            const std::string name = BackendName(f->service);
            if (!serving && std::find(round->unhealthy.begin(), round->unhealthy.end(), name) ==
                                round->unhealthy.end()) {
              round->unhealthy.push_back(name);
            }
            if (--round->pending > 0) return;
            result = std::move(round->unhealthy);
          }
          std::sort(result.begin(), result.end());
          round->done(std::move(result));
        });
  }
}

}  // namespace agora::gateway
