// The customers process. Its gRPC methods are declared in protos/agora/customers/v1/
// and answer UNIMPLEMENTED until issue 3 (customers, orders and reviews services) lands; see README.md, "Status".

#include "agora/customers/v1/customers.grpc.pb.h"
#include "runtime/grpc/placeholder.h"

int main(int argc, char** argv) {
  agora::customers::v1::Customers::CallbackService service;
  return agora::runtime::grpc_server::RunPlaceholderService(argc, argv, "customers", 50062, 9162, &service);
}
