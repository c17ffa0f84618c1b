#pragma once

// The process of a service whose issue has not landed yet: it runs like
// every service (configuration, the runtime's messaging tables migrated in
// its own schema, health, reflection, metrics, graceful drain) and serves its
// declared gRPC service, whose methods all answer UNIMPLEMENTED (the
// generated base class). Each such main is replaced by the real service's
// composition root when its issue lands.

#include <string>

namespace grpc {
class Service;
}  // namespace grpc

namespace agora::runtime::grpc_server {

// Returns the exit code.
int RunPlaceholderService(int argc, char** argv, const std::string& name, int default_grpc_port,
                          int default_metrics_port, grpc::Service* service);

}  // namespace agora::runtime::grpc_server
