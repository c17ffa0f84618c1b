#pragma once

// Protobuf 3.21's JSON parser says "Cannot find field." without naming it.
// When it refuses a body, this walks the body against the message
// descriptor to name the first offending field ("unknown field 'bogus'",
// "field 'items[0].quantity' must be a number"). Runs on the error path only.

#include <string>

#include "google/protobuf/descriptor.h"

namespace agora::gateway {

// A message naming the first unknown or mistyped field, or "" when the walk
// finds nothing more precise than protobuf's own message.
std::string DescribeJsonError(const std::string& body, const google::protobuf::Descriptor* type);

}  // namespace agora::gateway
