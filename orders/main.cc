// The orders process. Its gRPC methods are declared in protos/agora/orders/v1/
// and answer UNIMPLEMENTED until issue 3 (customers, orders and reviews services) lands; see README.md, "Status".

#include "agora/orders/v1/orders.grpc.pb.h"
#include "runtime/grpc/placeholder.h"

int main(int argc, char** argv) {
  agora::orders::v1::Orders::CallbackService service;
  return agora::runtime::grpc_server::RunPlaceholderService(argc, argv, "orders", 50063, 9163, &service);
}
