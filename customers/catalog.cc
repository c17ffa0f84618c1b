#include "customers/catalog.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "agora/inventory/v1/inventory.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "runtime/grpc/client.h"
#include "runtime/status/reason.h"

namespace agora::customers {
namespace {

namespace inventory = agora::inventory::v1;

class GrpcProductCatalog final : public ProductCatalog {
 public:
  GrpcProductCatalog(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout)
      : stub_(inventory::Inventory::NewStub(std::move(channel))), timeout_(timeout) {}

  absl::Status CheckLive(const std::string& product_id, const grpc::ServerContextBase* incoming) override {
    inventory::GetProductRequest req;
    req.set_id(product_id);
    inventory::Product resp;
    std::unique_ptr<grpc::ClientContext> ctx = runtime::grpc_client::NewContext(timeout_, incoming);
    const grpc::Status s = stub_->GetProduct(ctx.get(), req, &resp);
    switch (s.error_code()) {
      case grpc::StatusCode::OK:
        return absl::OkStatus();
      case grpc::StatusCode::NOT_FOUND:
        return runtime::status::WithReason(absl::NotFoundError(absl::StrCat("product ", product_id, " not found")),
                                           "PRODUCT_NOT_FOUND");
      default:
        return runtime::grpc_client::BackendFailure(s, "inventory", "GetProduct");
    }
  }

 private:
  std::unique_ptr<inventory::Inventory::Stub> stub_;
  const absl::Duration timeout_;
};

}  // namespace

std::unique_ptr<ProductCatalog> NewGrpcProductCatalog(std::shared_ptr<grpc::Channel> channel,
                                                      absl::Duration timeout) {
  return std::make_unique<GrpcProductCatalog>(std::move(channel), timeout);
}

}  // namespace agora::customers
