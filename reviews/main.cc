// The reviews process. Its gRPC methods are declared in protos/agora/reviews/v1/
// and answer UNIMPLEMENTED until issue 3 (customers, orders and reviews services) lands; see README.md, "Status".

#include "agora/reviews/v1/reviews.grpc.pb.h"
#include "runtime/grpc/placeholder.h"

int main(int argc, char** argv) {
  agora::reviews::v1::Reviews::CallbackService service;
  return agora::runtime::grpc_server::RunPlaceholderService(argc, argv, "reviews", 50064, 9164, &service);
}
