#include "reviews/clients.h"

#include <utility>

#include "agora/customers/v1/customers.grpc.pb.h"
#include "agora/orders/v1/orders.grpc.pb.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "runtime/auth/service_identity.h"
#include "runtime/grpc/client.h"

namespace agora::reviews {
namespace {

namespace customers = agora::customers::v1;
namespace orders = agora::orders::v1;

// Another service's answer, as reviews answers its own caller: a NOT_FOUND
// from customers is not "this review is not found". `what` names who was
// asked (its service, "customers"), `call` the method, for the log.
absl::Status Translate(const grpc::Status& s, const std::string& what, const char* call) {
  switch (s.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
      return absl::FailedPreconditionError("the caller's customer account does not exist");
    default:
      return runtime::grpc_client::BackendFailure(s, what, call);
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
    if (!s.ok()) return Translate(s, "customers", "GetCustomer");
    return resp.display_name();
  }

 private:
  std::unique_ptr<customers::Customers::Stub> stub_;
  const absl::Duration timeout_;
  runtime::auth::ServiceTokenSource& identity_;
};

class GrpcOrderLookup final : public OrderLookup {
 public:
  GrpcOrderLookup(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout,
                  runtime::auth::ServiceTokenSource& identity)
      : stub_(orders::Orders::NewStub(std::move(channel))), timeout_(timeout), identity_(identity) {}

  absl::StatusOr<std::optional<FoundPurchase>> FindPurchase(const std::string& customer_id,
                                                            const std::string& product_id,
                                                            const grpc::ServerContextBase* incoming) override {
    orders::FindPurchaseRequest req;
    req.set_customer_id(customer_id);
    req.set_product_id(product_id);
    orders::FindPurchaseResponse resp;
    std::unique_ptr<grpc::ClientContext> ctx =
        runtime::grpc_client::NewContext(timeout_, incoming, identity_.Token(absl::Now()));
    const grpc::Status s = stub_->FindPurchase(ctx.get(), req, &resp);
    if (!s.ok()) return Translate(s, "orders", "FindPurchase");
    if (resp.order_id().empty()) return std::optional<FoundPurchase>();
    return std::optional<FoundPurchase>(FoundPurchase{
        resp.order_id(), resp.status() == orders::SHIPPED ? OrderState::kShipped : OrderState::kApproved});
  }

 private:
  std::unique_ptr<orders::Orders::Stub> stub_;
  const absl::Duration timeout_;
  runtime::auth::ServiceTokenSource& identity_;
};

}  // namespace

std::unique_ptr<OrderLookup> NewGrpcOrderLookup(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout,
                                                runtime::auth::ServiceTokenSource& identity) {
  return std::make_unique<GrpcOrderLookup>(std::move(channel), timeout, identity);
}

std::unique_ptr<Profiles> NewGrpcProfiles(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout,
                                          runtime::auth::ServiceTokenSource& identity) {
  return std::make_unique<GrpcProfiles>(std::move(channel), timeout, identity);
}

}  // namespace agora::reviews
