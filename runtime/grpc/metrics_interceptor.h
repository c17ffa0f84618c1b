#pragma once

// Server interceptor recording, for every RPC,
//   grpc_server_started_total{grpc_service,grpc_method,grpc_type}
//   grpc_server_handled_total{grpc_service,grpc_method,grpc_type,grpc_code}
//   grpc_server_handling_seconds{grpc_service,grpc_method,grpc_type} (histogram)
// with the names and labels of go-grpc-prometheus, so that its dashboards
// and alerts apply as they are; and one "grpc_call" log line per RPC (debug
// level when OK, warn for server errors, info otherwise) carrying the
// caller's x-request-id and the trace id of its W3C traceparent.

#include <memory>

#include "grpcpp/support/server_interceptor.h"

namespace agora::runtime::grpc_server {

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewMetricsInterceptorFactory();

}  // namespace agora::runtime::grpc_server
