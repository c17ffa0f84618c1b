#pragma once

// Outbound gRPC calls between services: one channel per backend (keepalive,
// round-robin over every address a DNS name resolves to), and a client
// context per call with a deadline and the caller's identity and trace
// propagated (authorization, x-request-id, traceparent).

#include <memory>
#include <string>

#include "absl/time/time.h"

namespace grpc {
class ByteBuffer;
class Channel;
class ClientContext;
class ServerContextBase;
}  // namespace grpc

namespace agora::runtime::grpc_client {

// `address` is host:port or dns:///name:port.
std::shared_ptr<grpc::Channel> NewChannel(const std::string& address);

// A context whose deadline is `timeout` from now, or the incoming call's
// deadline if that is sooner; copies authorization, x-request-id and
// traceparent from `incoming` (may be null).
std::unique_ptr<grpc::ClientContext> NewContext(absl::Duration timeout,
                                                const grpc::ServerContextBase* incoming);

// The bytes of a message received on a generic (serialized) call.
std::string ByteBufferToString(const grpc::ByteBuffer& buffer);

}  // namespace agora::runtime::grpc_client
