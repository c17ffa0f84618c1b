#pragma once

// JSON/HTTP <-> protobuf for one matched route, with Protobuf's own JSON
// mapping (lowerCamelCase out, both spellings in, 64-bit integers as
// strings, enums by name, every field printed so that 0, false and "" are
// not omitted).

#include <string>

#include "absl/status/statusor.h"
#include "gateway/http_types.h"
#include "gateway/route_table.h"

namespace agora::gateway {

// The serialized gRPC request: body (per the rule's `body`), path variables,
// query parameters, and the Idempotency-Key header into `idempotency_key`.
// INVALID_ARGUMENT for malformed JSON, unknown fields, wrong types, bad
// parameters or a body that is not UTF-8 (the message names the field).
absl::StatusOr<std::string> BuildRequest(const Binding& binding, const RouteMatch& match,
                                         const HttpRequest& request);

// The JSON of a serialized gRPC response (its `response_body` field only,
// when the rule names one). INTERNAL when the bytes do not parse.
absl::StatusOr<std::string> RenderResponse(const Binding& binding, const std::string& bytes);

// The value of Location for a create: the policy's template, e.g.
// "/v1/products/{id}", filled from the response's fields ("" if none).
std::string LocationFor(const Binding& binding, const std::string& response_bytes);

// True when the request's Content-Type is JSON or absent (a body without one
// is read as JSON).
bool AcceptableContentType(const HttpRequest& request);

}  // namespace agora::gateway
