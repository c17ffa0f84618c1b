#pragma once

// The one translation from absl::Status to grpc::Status. Codes map one to one;
// the message of INTERNAL, UNKNOWN and DATA_LOSS is replaced by a generic text
// (the original is logged) so that no SQL or internal detail reaches a caller.
// The payloads of a Status (e.g. runtime/status/reason.h) become the
// google.rpc.Status details of the gRPC status, and back.

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace agora::runtime::grpc_server {

grpc::Status ToGrpcStatus(const absl::Status& status);

// The metric-label name of a code, as go-grpc-prometheus spells it ("OK",
// "NotFound", ...); "Unknown" for numbers outside the enum.
const char* GrpcCodeName(int code);

// The reverse, for clients: keeps code, message and details (as payloads).
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace agora::runtime::grpc_server
