#include "gateway/jwks.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agora/customers/v1/customers.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "runtime/log/log.h"

namespace agora::gateway {

absl::StatusOr<runtime::auth::KeySet> FetchJwks(const std::shared_ptr<grpc::Channel>& customers,
                                                absl::Duration timeout) {
  auto stub = agora::customers::v1::Customers::NewStub(customers);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  agora::customers::v1::Jwks jwks;
  const grpc::Status s = stub->GetJwks(&ctx, agora::customers::v1::GetJwksRequest(), &jwks);
  if (!s.ok()) return absl::UnavailableError(absl::StrCat("JWKS from customers: ", s.error_message()));
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(jwks, &json).ok()) {
    return absl::InternalError("cannot read the JWKS of customers");
  }
  runtime::auth::KeySet keys;
  if (absl::Status st = keys.AddJwks(json); !st.ok()) return st;
  if (keys.empty()) return absl::FailedPreconditionError("customers publishes no RSA key");
  return keys;
}

absl::StatusOr<runtime::auth::KeySet> FetchJwksAtStart(
    const std::shared_ptr<grpc::Channel>& customers, absl::Duration patience) {
  const absl::Time give_up = absl::Now() + patience;
  for (;;) {
    absl::StatusOr<runtime::auth::KeySet> keys = FetchJwks(customers, absl::Seconds(2));
    if (keys.ok() || absl::Now() > give_up) return keys;
    runtime::log::Warn("jwks_not_ready", {{"error", keys.status().message()}});
    absl::SleepFor(absl::Milliseconds(500));
  }
}

}  // namespace agora::gateway
