#pragma once

// The JSON types of a request body, checked against the message descriptor
// before protobuf parses it. Protobuf 3.21's parser is lenient where
// grpc-gateway's (Go's protojson) is not, and API.md wants 400 for "a field
// of the wrong type": it takes an object for a repeated field (as one
// element), flattens nested arrays, skips null elements and reads "yes",
// "t" or "1" as true. It also says "Cannot find field." without naming one.
// Unknown fields are not errors: the gateway ignores them (transcoder.cc).
// The syntax is checked here too (strict RFC 8259, as protojson): protobuf
// 3.21's parser takes trailing commas, single quotes, bare keys and a key
// given twice (the last wins). Strings must not hold U+0000, which
// PostgreSQL's text cannot store (libpq would silently cut the value).

#include <string>

#include "google/protobuf/descriptor.h"

namespace agora::gateway {

// A message naming the first mistyped field ("field 'items' must be an
// array", "field 'items[1]' must not be null"), the syntax error ("parse
// error at line 1, column 17: ..."), a key or field given twice, or "" when
// the body is well-formed JSON whose known fields have JSON types their
// proto types accept.
std::string DescribeJsonError(const std::string& body, const google::protobuf::Descriptor* type);

}  // namespace agora::gateway
