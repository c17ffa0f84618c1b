#pragma once

// Asks a gRPC server's reflection service (grpc.reflection.v1alpha) for its
// services, as grpcurl does.

#include <memory>
#include <string>

namespace grpc {
class Channel;
class Status;
}  // namespace grpc

namespace agora::testing {

// The status of the call and, when it answered, the raw answer (it names
// every service). UNIMPLEMENTED when the server serves no reflection.
grpc::Status ListServicesByReflection(const std::shared_ptr<grpc::Channel>& channel, std::string* answer);

}  // namespace agora::testing
