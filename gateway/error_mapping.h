#pragma once

// gRPC status -> HTTP status and the JSON error body of API.md:
//   {"code": <google.rpc.Code number>, "message": "...", "details": [...]}
// following the standard mapping (grpc-gateway's runtime.HTTPStatusFromCode).

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "gateway/http_types.h"

namespace agora::gateway {

int HttpStatusFromGrpcCode(int grpc_code);

// A complete error response: status, JSON body, and the headers the status
// needs (WWW-Authenticate for 401, Retry-After for 429).
// For CANCELLED, UNKNOWN, DEADLINE_EXCEEDED, INTERNAL, UNAVAILABLE and
// DATA_LOSS the message is replaced by a fixed text (PublicMessage): those
// texts come from gRPC's transport as often as from a service and name
// internal addresses ("ipv4:10.0.3.7:50061: Connection refused"). The
// original is logged (warn, "backend_error").
HttpResponse ErrorResponse(int grpc_code, std::string_view message,
                           std::string_view details_json = "[]");

// The message a client sees for `grpc_code`: `message` itself, or the fixed
// text above. True in *replaced when it was replaced.
std::string_view PublicMessage(int grpc_code, std::string_view message, bool* replaced = nullptr);

// The `details` array of an error body from the binary google.rpc.Status a
// backend sent in its trailer: each detail printed with protobuf's JSON
// mapping ({"@type": ..., fields}); a detail of a type this binary does not
// know keeps only its "@type". "[]" when there are none.
std::string DetailsJson(std::string_view status_details);

// A backend's error: ErrorResponse with its details as JSON, and on a 429
// the Retry-After its ErrorInfo names (metadata retry_after_seconds, at
// most a day), else 1.
HttpResponse BackendError(int grpc_code, std::string_view message, std::string_view status_details);

// The same from a Status (its code and message).
HttpResponse ErrorResponse(const absl::Status& status);

// For errors the gateway itself decides, with an explicit HTTP status
// (404 unknown route, 405, 413, 415, 400 from the parser).
HttpResponse GatewayError(int http_status, int grpc_code, std::string_view message);

}  // namespace agora::gateway
