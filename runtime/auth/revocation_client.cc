#include "runtime/auth/revocation_client.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "agora/customers/v1/customers.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "runtime/log/log.h"

namespace agora::runtime::auth {

RevocationFetch CustomersRevocations(std::shared_ptr<grpc::Channel> customers, absl::Duration timeout) {
  std::shared_ptr<agora::customers::v1::Customers::Stub> stub =
      agora::customers::v1::Customers::NewStub(std::move(customers));
  return [stub, timeout]() -> absl::StatusOr<RevocationList> {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
    agora::customers::v1::ListRevokedSessionsResponse resp;
    const grpc::Status s =
        stub->ListRevokedSessions(&ctx, agora::customers::v1::ListRevokedSessionsRequest(), &resp);
    if (!s.ok()) return absl::UnavailableError(absl::StrCat("revoked sessions from customers: ", s.error_message()));
    if (resp.truncated()) {
      log::Warn("revoked_sessions_truncated", {{"listed", static_cast<int64_t>(resp.session_ids_size())}});
    }
    // An older customers sends no window: the access tokens' usual
    // lifetime and margin.
    const absl::Duration window =
        resp.window_seconds() > 0 ? absl::Seconds(resp.window_seconds()) : absl::Minutes(20);
    return RevocationList{std::vector<std::string>(resp.session_ids().begin(), resp.session_ids().end()), window};
  };
}

std::unique_ptr<RevocationPoller> PollCustomersRevocations(RevokedSessions& list,
                                                           std::shared_ptr<grpc::Channel> customers,
                                                           absl::Duration every) {
  return std::make_unique<RevocationPoller>(
      list, CustomersRevocations(std::move(customers), std::min(every, absl::Seconds(2))), every);
}

}  // namespace agora::runtime::auth
