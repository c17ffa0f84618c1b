#include "reviews/clients.h"

#include <utility>

#include "agora/customers/v1/customers.grpc.pb.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "runtime/auth/service_identity.h"
#include "runtime/grpc/client.h"
#include "runtime/log/log.h"

namespace agora::reviews {
namespace {

namespace customers = agora::customers::v1;

// Customers' answer, as reviews answers its own caller: a NOT_FOUND from
// customers is not "this review is not found".
absl::Status Translate(const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
      return absl::FailedPreconditionError("the caller's customer account does not exist");
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return absl::UnavailableError("customer profiles are unavailable, retry later");
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::DeadlineExceededError("customer profiles did not answer in time");
    case grpc::StatusCode::CANCELLED:
      return absl::CancelledError("call cancelled");
    default:
      runtime::log::Error("customers_call_failed", {{"method", "GetCustomer"},
                                                    {"code", static_cast<int>(s.error_code())},
                                                    {"error", s.error_message()}});
      return absl::InternalError("customer profiles answered an error");
  }
}

class GrpcProfiles final : public Profiles {
 public:
  GrpcProfiles(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout,
               runtime::auth::ServiceTokenSource& identity)
      : stub_(customers::Customers::NewStub(std::move(channel))), timeout_(timeout), identity_(identity) {}

  absl::StatusOr<std::string> DisplayName(const std::string& customer_id,
                                          const grpc::ServerContextBase* incoming) override {
    customers::GetCustomerRequest req;
    req.set_id(customer_id);
    customers::Customer resp;
    std::unique_ptr<grpc::ClientContext> ctx =
        runtime::grpc_client::NewContext(timeout_, incoming, identity_.Token(absl::Now()));
    const grpc::Status s = stub_->GetCustomer(ctx.get(), req, &resp);
    if (!s.ok()) return Translate(s);
    return resp.display_name();
  }

 private:
  std::unique_ptr<customers::Customers::Stub> stub_;
  const absl::Duration timeout_;
  runtime::auth::ServiceTokenSource& identity_;
};

}  // namespace

std::unique_ptr<Profiles> NewGrpcProfiles(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout,
                                          runtime::auth::ServiceTokenSource& identity) {
  return std::make_unique<GrpcProfiles>(std::move(channel), timeout, identity);
}

}  // namespace agora::reviews
