#include "runtime/grpc/client.h"

#include <chrono>

#include "grpcpp/grpcpp.h"
#include "runtime/log/log.h"

namespace agora::runtime::grpc_client {

std::shared_ptr<grpc::Channel> NewChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetLoadBalancingPolicyName("round_robin");
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Nothing reads channelz (no channelz service is registered), and its
  // bookkeeping costs every call: counters and clock readings per stream
  // and message.
  args.SetInt(GRPC_ARG_ENABLE_CHANNELZ, 0);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

std::unique_ptr<grpc::ClientContext> NewContext(absl::Duration timeout,
                                                const grpc::ServerContextBase* incoming,
                                                const std::string& service_token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  auto deadline = std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout);
  if (incoming != nullptr) {
    if (incoming->deadline() < deadline) deadline = incoming->deadline();
    const auto& md = incoming->client_metadata();
    for (const char* key : {"authorization", "x-request-id", "traceparent"}) {
      if (auto it = md.find(key); it != md.end()) {
        ctx->AddMetadata(key, std::string(it->second.data(), it->second.size()));
      }
    }
  }
  if (!service_token.empty()) ctx->AddMetadata(kServiceTokenMetadata, service_token);
  ctx->set_deadline(deadline);
  return ctx;
}

std::string ByteBufferToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  buffer.Dump(&slices);
  std::string out;
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

absl::Status BackendFailure(const grpc::Status& s, const std::string& backend, const char* method) {
  switch (s.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return absl::UnavailableError(backend + " is unavailable, retry later");
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::DeadlineExceededError(backend + " did not answer in time");
    case grpc::StatusCode::CANCELLED:
      return absl::CancelledError("call cancelled");
    default:
      log::Error("backend_call_failed", {{"backend", backend},
                                         {"method", method},
                                         {"code", static_cast<int>(s.error_code())},
                                         {"error", s.error_message()}});
      return absl::InternalError(backend + " answered an error");
  }
}

}  // namespace agora::runtime::grpc_client
