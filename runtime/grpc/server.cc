#include "runtime/grpc/server.h"

#include <signal.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/impl/server_builder_plugin.h"
#include "runtime/grpc/metrics_interceptor.h"
#include "runtime/log/log.h"

namespace agora::runtime::grpc_server {
namespace {

// Linking gRPC's reflection library registers its plugin for every server of
// the process (a static initializer): the only way to serve without it is to
// take the plugin out of this builder's list.
class WithoutReflection final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->erase(std::remove_if(plugins->begin(), plugins->end(),
                                  [](const std::unique_ptr<grpc::ServerBuilderPlugin>& p) {
                                    return p->name() == "proto_server_reflection";
                                  }),
                   plugins->end());
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    const std::string& address, const std::vector<grpc::Service*>& services,
    grpc::CallbackGenericService* generic, bool reflection) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  if (!reflection) builder.SetOption(std::make_unique<WithoutReflection>());
  int port = 0;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
  for (grpc::Service* service : services) builder.RegisterService(service);
  if (generic != nullptr) builder.RegisterCallbackGenericService(generic);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
  factories.push_back(NewMetricsInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(factories));
  // A port in use is an error, not a port shared with another process.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Keepalive: find dead peers behind NATs and load balancers.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // No channelz service is registered; its per-call bookkeeping is waste.
  builder.AddChannelArgument(GRPC_ARG_ENABLE_CHANNELZ, 0);
  // A client keeps its HTTP/2 connection to an address for ever: after a
  // scale-up, new pods would get no calls until connections broke. A
  // connection older than 5 minutes is sent GOAWAY, so clients reconnect
  // (and re-resolve); the grace stays infinite (the default), so a long
  // stream (an order :watch) on it runs to its end.
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, 5 * 60 * 1000);

  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot serve gRPC on ", address));
  }
  auto result = std::unique_ptr<GrpcServer>(new GrpcServer(std::move(server), port));
  result->SetServing(true);
  log::Info("grpc_server_started", {{"address", address}, {"port", port}});
  return result;
}

GrpcServer::GrpcServer(std::unique_ptr<grpc::Server> server, int port)
    : port_(port), server_(std::move(server)) {}

GrpcServer::~GrpcServer() { Shutdown(absl::ZeroDuration()); }

void GrpcServer::SetServing(bool serving) {
  // Sets "" and every registered service at once.
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health != nullptr) health->SetServingStatus(serving);
}

void GrpcServer::Shutdown(absl::Duration drain) {
  if (shut_down_) return;
  shut_down_ = true;
  SetServing(false);
  log::Info("grpc_server_draining", {{"drain_ms", absl::ToInt64Milliseconds(drain)}});
  server_->Shutdown(absl::ToChronoTime(absl::Now() + drain));
  server_->Wait();
  log::Info("grpc_server_stopped");
}

void BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForTerminationSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

}  // namespace agora::runtime::grpc_server
