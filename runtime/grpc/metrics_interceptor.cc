#include "runtime/grpc/metrics_interceptor.h"

#include <string>
#include <string_view>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "grpcpp/server_context.h"
#include "runtime/grpc/status.h"
#include "runtime/log/log.h"
#include "runtime/metrics/cached_family.h"
#include "runtime/metrics/metrics.h"

namespace agora::runtime::grpc_server {
namespace {

using grpc::experimental::InterceptionHookPoints;

struct Families {
  metrics::CachedFamily<prometheus::Counter> started;    // service, method, type
  metrics::CachedFamily<prometheus::Counter> handled;    // service, method, type, code
  metrics::CachedFamily<prometheus::Histogram> seconds;  // service, method, type
};

Families& GetFamilies() {
  static auto* const f = new Families{
      {prometheus::BuildCounter()
           .Name("grpc_server_started_total")
           .Help("RPCs started on the server.")
           .Register(metrics::Registry()),
       {"grpc_service", "grpc_method", "grpc_type"}},
      {prometheus::BuildCounter()
           .Name("grpc_server_handled_total")
           .Help("RPCs completed on the server, by status code.")
           .Register(metrics::Registry()),
       {"grpc_service", "grpc_method", "grpc_type", "grpc_code"}},
      {prometheus::BuildHistogram()
           .Name("grpc_server_handling_seconds")
           .Help("Time from the start of an RPC to its status being sent.")
           .Register(metrics::Registry()),
       {"grpc_service", "grpc_method", "grpc_type"}},
  };
  return *f;
}

const char* TypeName(grpc::experimental::ServerRpcInfo::Type type) {
  using T = grpc::experimental::ServerRpcInfo::Type;
  switch (type) {
    case T::UNARY: return "unary";
    case T::CLIENT_STREAMING: return "client_stream";
    case T::SERVER_STREAMING: return "server_stream";
    case T::BIDI_STREAMING: return "bidi_stream";
  }
  return "unary";
}

class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit MetricsInterceptor(grpc::experimental::ServerRpcInfo* info)
      : start_(absl::Now()), type_(TypeName(info->type())) {
    // "/agora.inventory.v1.Inventory/GetProduct"
    std::string_view full = info->method();
    if (!full.empty() && full.front() == '/') full.remove_prefix(1);
    const auto slash = full.find('/');
    service_ = std::string(full.substr(0, slash));
    method_ = slash == std::string_view::npos ? "" : std::string(full.substr(slash + 1));
    GetFamilies().started.Get({service_, method_, type_}).Increment();
    if (auto* ctx = info->server_context(); ctx != nullptr) {
      const auto& md = ctx->client_metadata();
      if (auto it = md.find("x-request-id"); it != md.end()) {
        request_id_.assign(it->second.data(), std::min<size_t>(it->second.size(), 128));
      }
      // traceparent: version "-" trace-id (32 hex) "-" parent-id "-" flags
      if (auto it = md.find("traceparent"); it != md.end() && it->second.size() >= 35) {
        trace_id_.assign(it->second.data() + 3, 32);
      }
    }
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      Families& f = GetFamilies();
      f.handled.Get({service_, method_, type_, GrpcCodeName(static_cast<int>(status.error_code()))}).Increment();
      f.seconds.Get({service_, method_, type_}, metrics::LatencyBuckets())
          .Observe(absl::ToDoubleSeconds(absl::Now() - start_));
      const grpc::StatusCode code = status.error_code();
      const bool server_error = code == grpc::StatusCode::INTERNAL ||
                                code == grpc::StatusCode::UNKNOWN ||
                                code == grpc::StatusCode::DATA_LOSS ||
                                code == grpc::StatusCode::UNAVAILABLE;
      const log::Level level = code == grpc::StatusCode::OK ? log::Level::kDebug
                               : server_error              ? log::Level::kWarn
                                                           : log::Level::kInfo;
      if (log::Enabled(level)) {
        log::Log(level, "grpc_call",
               {{"method", method_},
                {"grpc_service", service_},
                {"code", GrpcCodeName(static_cast<int>(code))},
                {"duration_ms", absl::ToDoubleMilliseconds(absl::Now() - start_)},
                {"request_id", request_id_},
                {"trace_id", trace_id_}});
      }
    }
    methods->Proceed();
  }

 private:
  absl::Time start_;
  std::string service_;
  std::string method_;
  const char* type_;
  std::string request_id_;
  std::string trace_id_;
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(info);
  }
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewMetricsInterceptorFactory() {
  return std::make_unique<MetricsInterceptorFactory>();
}

}  // namespace agora::runtime::grpc_server
