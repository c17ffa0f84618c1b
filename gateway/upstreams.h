#pragma once

// The gRPC backends: one channel per service (keepalive, round-robin over
// every address its DNS name gives), generic calls on serialized bytes, a
// deadline on every call, and authorization, x-request-id and traceparent
// passed on. Per-backend metrics:
//   grpc_client_handled_total{grpc_service,grpc_method,grpc_code}
//   grpc_client_handling_seconds{grpc_service} (histogram)
// Thread-safe.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "grpcpp/generic/generic_stub.h"

namespace agora::gateway {

struct UpstreamCall {
  std::string service;  // "agora.inventory.v1.Inventory"
  std::string method;   // "GetProduct"
  std::string request;  // serialized request message
  absl::Duration timeout;
  std::vector<std::pair<std::string, std::string>> metadata;
};

// grpc_code 0 means OK and `response` holds the serialized answer; on an
// error `response` holds the status details the backend sent (a serialized
// google.rpc.Status from the grpc-status-details-bin trailer; often empty).
using UpstreamDone = std::function<void(int grpc_code, std::string message, std::string response)>;

class Upstreams final {
 public:
  // service full name -> "host:port" or "dns:///name:port".
  explicit Upstreams(const std::map<std::string, std::string>& addresses);

  // Calls asynchronously; `done` runs once, on a gRPC thread.
  void Call(UpstreamCall call, UpstreamDone done);

  // Health of every backend (grpc.health.v1 Check with service ""): `done`
  // runs once, on a gRPC thread, with the names of those not SERVING within
  // `timeout`. Never blocks the caller.
  // `done` gets the failing backends by their short names ("reviews", as
  // the details route's `degraded` names them), sorted.
  void CheckHealth(absl::Duration timeout, std::function<void(std::vector<std::string>)> done);

  // The channel of a service, for streaming calls; null if unknown.
  std::shared_ptr<grpc::Channel> ChannelFor(const std::string& service) const;
  grpc::GenericStub* StubFor(const std::string& service);

 private:
  struct Backend {
    std::string address;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<grpc::GenericStub> stub;
  };
  std::map<std::string, std::unique_ptr<Backend>> backends_;  // immutable after construction
};

}  // namespace agora::gateway
