#include "tests/support/reflection.h"

#include <chrono>
#include <vector>

#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"

namespace agora::testing {

grpc::Status ListServicesByReflection(const std::shared_ptr<grpc::Channel>& channel, std::string* answer) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::CompletionQueue cq;
  auto call = stub.PrepareCall(&ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag;
  bool ok;
  call->StartCall(reinterpret_cast<void*>(1));
  cq.Next(&tag, &ok);
  // ServerReflectionRequest with list_services = "" (field 7).
  grpc::Slice slice(std::string("\x3a\x00", 2));
  grpc::ByteBuffer in(&slice, 1);
  call->Write(in, reinterpret_cast<void*>(2));
  cq.Next(&tag, &ok);
  grpc::ByteBuffer out;
  call->Read(&out, reinterpret_cast<void*>(3));
  cq.Next(&tag, &ok);
  const bool read = ok;
  if (read) {
    std::vector<grpc::Slice> slices;
    out.Dump(&slices);
    answer->clear();
    for (const auto& s : slices) answer->append(reinterpret_cast<const char*>(s.begin()), s.size());
    ctx.TryCancel();
  }
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(4));
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return read ? grpc::Status::OK : status;
}

}  // namespace agora::testing
