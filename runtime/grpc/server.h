#pragma once

// gRPC server bootstrap shared by every service: callback API services,
// grpc.health.v1, server reflection, the metrics interceptor, and a graceful
// drain.
//
//   BlockTerminationSignals();                       // first line of main
//   auto server = GrpcServer::Start("0.0.0.0:50061", {&service});
//   WaitForTerminationSignal();
//   (*server)->Shutdown(absl::Seconds(10));

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace grpc {
class CallbackGenericService;
class Server;
class Service;
}  // namespace grpc

namespace agora::runtime::grpc_server {

class GrpcServer final {
 public:
  // Serves `services` (borrowed: they must outlive the server) on `address`
  // ("host:port"; port 0 picks a free one). Health reports SERVING for ""
  // and for each service's full name. UNAVAILABLE if the port cannot be bound.
  // `generic` (optional, borrowed) serves every method no service knows.
  // `reflection`: serve server reflection (grpc.reflection.v1alpha).
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(
      const std::string& address, const std::vector<grpc::Service*>& services,
      grpc::CallbackGenericService* generic = nullptr, bool reflection = true);
  ~GrpcServer();

  int port() const { return port_; }
  void SetServing(bool serving);
  // Health turns NOT_SERVING, new calls are refused, in-flight calls get up
  // to `drain` to finish, then are cancelled. Idempotent.
  void Shutdown(absl::Duration drain);

 private:
  GrpcServer(std::unique_ptr<grpc::Server> server, int port);

  int port_;
  bool shut_down_ = false;
  std::unique_ptr<grpc::Server> server_;  // last: stops first
};

// Blocks SIGTERM and SIGINT in the calling thread; call in main before any
// thread starts so that every thread inherits the mask.
void BlockTerminationSignals();
// Waits for SIGTERM or SIGINT and returns it.
int WaitForTerminationSignal();

}  // namespace agora::runtime::grpc_server
