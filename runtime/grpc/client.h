#pragma once

// Outbound gRPC calls between services: one channel per backend (keepalive,
// round-robin over every address a DNS name resolves to), and a client
// context per call with a deadline and the caller's identity and trace
// propagated (authorization, x-request-id, traceparent).

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace grpc {
class ByteBuffer;
class Channel;
class ClientContext;
class ServerContextBase;
class Status;
}  // namespace grpc

namespace agora::runtime::grpc_client {

// `address` is host:port or dns:///name:port.
std::shared_ptr<grpc::Channel> NewChannel(const std::string& address);

// The metadata that carries a calling service's token to an INTERNAL method
// (runtime/auth/service_identity.h). Never copied from an incoming call:
// each hop proves its own identity.
inline constexpr char kServiceTokenMetadata[] = "x-agora-service";

// A context whose deadline is `timeout` from now, or the incoming call's
// deadline if that is sooner; copies authorization, x-request-id and
// traceparent from `incoming` (may be null); carries `service_token` (this
// service's, for an INTERNAL method) when not empty.
std::unique_ptr<grpc::ClientContext> NewContext(absl::Duration timeout,
                                                const grpc::ServerContextBase* incoming,
                                                const std::string& service_token = "");

// A backend call's failure as the calling service answers its own caller,
// for the codes that mean the same to every caller: UNAVAILABLE and
// RESOURCE_EXHAUSTED ("<backend> is unavailable, retry later"),
// DEADLINE_EXCEEDED, CANCELLED; any other is INTERNAL ("<backend> answered
// an error"), logged with `method` and gRPC's own text, which may hold
// addresses and never reaches the caller. Callers map the codes that mean
// something of their own (NOT_FOUND, INVALID_ARGUMENT) before this.
absl::Status BackendFailure(const grpc::Status& s, const std::string& backend, const char* method);

// The bytes of a message received on a generic (serialized) call.
std::string ByteBufferToString(const grpc::ByteBuffer& buffer);

}  // namespace agora::runtime::grpc_client
