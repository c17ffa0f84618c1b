#pragma once

// The OpenAPI 3 document of the REST API, generated from the same
// descriptors that drive routing: every binding becomes an operation with
// its path and query parameters, request body, success status, the error
// body, and its security (bearer for CUSTOMER and ADMIN methods); every
// message reachable from them becomes a schema under the proto3 JSON mapping.

#include <string>
#include <vector>

#include "gateway/route_table.h"
#include "google/protobuf/descriptor.h"

namespace agora::gateway {

// The services the gateway routes (the generated code is linked in).
std::vector<const google::protobuf::ServiceDescriptor*> PublicServices();

std::string OpenApiDocument(const RouteTable& routes);

}  // namespace agora::gateway
