#include "orders/clients.h"

#include "absl/strings/str_cat.h"
#include "agora/customers/v1/customers.grpc.pb.h"
#include "agora/inventory/v1/inventory.grpc.pb.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "runtime/auth/service_identity.h"
#include "runtime/grpc/client.h"

namespace agora::orders {
namespace {

// A backend's failure as this service reports it: the code where it means
// something to our caller, a message naming the backend (gRPC's own text
// may hold addresses; it goes to the log).
absl::Status BackendError(const char* backend, const char* method, const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
      // What the backend does not know (the caller's account) is not a
      // missing order: the request cannot be served as things are.
      return absl::FailedPreconditionError(absl::StrCat(backend, ": ", s.error_message()));
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
      return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                          absl::StrCat(backend, ": ", s.error_message()));
    default:
      return runtime::grpc_client::BackendFailure(s, backend, method);
  }
}

class GrpcCatalog final : public Catalog {
 public:
  GrpcCatalog(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout,
              runtime::auth::ServiceTokenSource& identity)
      : stub_(agora::inventory::v1::Inventory::NewStub(std::move(channel))), timeout_(timeout), identity_(identity) {}

  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> Prices(
      const std::vector<std::string>& ids, const grpc::ServerContextBase* incoming) override {
    agora::inventory::v1::BatchGetProductsRequest req;
    for (const std::string& id : ids) req.add_ids(id);
    agora::inventory::v1::BatchGetProductsResponse resp;
    std::unique_ptr<grpc::ClientContext> ctx =
        runtime::grpc_client::NewContext(timeout_, incoming, identity_.Token(absl::Now()));
    const grpc::Status s = stub_->BatchGetProducts(ctx.get(), req, &resp);
    if (!s.ok()) return BackendError("inventory", "BatchGetProducts", s);
    std::vector<std::pair<std::string, int64_t>> prices;
    for (const auto& p : resp.products()) prices.emplace_back(p.id(), p.price_cents());
    return prices;
  }

 private:
  std::unique_ptr<agora::inventory::v1::Inventory::Stub> stub_;
  const absl::Duration timeout_;
  runtime::auth::ServiceTokenSource& identity_;
};

class GrpcCarts final : public Carts {
 public:
  GrpcCarts(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout,
            runtime::auth::ServiceTokenSource& identity)
      : stub_(agora::customers::v1::Customers::NewStub(std::move(channel))), timeout_(timeout), identity_(identity) {}

  absl::StatusOr<std::vector<RequestedLine>> CartLines(
      const std::string& customer_id, const grpc::ServerContextBase* incoming) override {
    agora::customers::v1::GetCustomerCartRequest req;
    req.set_customer_id(customer_id);
    agora::customers::v1::Cart cart;
    std::unique_ptr<grpc::ClientContext> ctx =
        runtime::grpc_client::NewContext(timeout_, incoming, identity_.Token(absl::Now()));
    const grpc::Status s = stub_->GetCustomerCart(ctx.get(), req, &cart);
    if (!s.ok()) return BackendError("customers", "GetCustomerCart", s);
    std::vector<RequestedLine> lines;
    for (const auto& item : cart.items()) lines.push_back({item.product_id(), item.quantity()});
    return lines;
  }

 private:
  std::unique_ptr<agora::customers::v1::Customers::Stub> stub_;
  const absl::Duration timeout_;
  runtime::auth::ServiceTokenSource& identity_;
};

}  // namespace

std::unique_ptr<Catalog> NewGrpcCatalog(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout,
                                        runtime::auth::ServiceTokenSource& identity) {
  return std::make_unique<GrpcCatalog>(std::move(channel), timeout, identity);
}

std::unique_ptr<Carts> NewGrpcCarts(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout,
                                    runtime::auth::ServiceTokenSource& identity) {
  return std::make_unique<GrpcCarts>(std::move(channel), timeout, identity);
}

}  // namespace agora::orders
