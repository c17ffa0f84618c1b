#pragma once

// The JSON types of a request body, checked against the message descriptor
// before protobuf parses it. Protobuf 3.21's parser is lenient where
// grpc-gateway's (Go's protojson) is not, and API.md wants 400 for "a field
// of the wrong type": it takes an object for a repeated field (as one
// element), flattens nested arrays, skips null elements and reads "yes",
// "t" or "1" as true. It also says "Cannot find field." without naming one.
// Unknown fields are not errors: the gateway ignores them (transcoder.cc).

#include <string>

#include "google/protobuf/descriptor.h"

namespace agora::gateway {

// A message naming the first mistyped field ("field 'items' must be an
// array", "field 'items[1]' must not be null"), or "" when every known
// field has a JSON type its proto type accepts (or the body is not JSON at
// all: protobuf's parser then says so).
std::string DescribeJsonError(const std::string& body, const google::protobuf::Descriptor* type);

}  // namespace agora::gateway
