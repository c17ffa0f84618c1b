// The saga process. Its gRPC methods are declared in protos/agora/saga/v1/
// and answer UNIMPLEMENTED until the saga coordinator's issue lands; see README.md, "Status".

#include "agora/saga/v1/admin.grpc.pb.h"
#include "runtime/grpc/placeholder.h"

int main(int argc, char** argv) {
  agora::saga::v1::Sagas::CallbackService service;
  return agora::runtime::grpc_server::RunPlaceholderService(argc, argv, "saga", 50065, 9165, &service);
}
