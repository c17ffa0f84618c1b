#include "customers/catalog.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "agora/inventory/v1/inventory.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "runtime/grpc/client.h"
#include "runtime/log/log.h"
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
      case grpc::StatusCode::UNAVAILABLE:
      case grpc::StatusCode::RESOURCE_EXHAUSTED:
        return absl::UnavailableError("the catalog is unavailable, retry later");
      case grpc::StatusCode::DEADLINE_EXCEEDED:
        return absl::DeadlineExceededError("the catalog did not answer in time");
      case grpc::StatusCode::CANCELLED:
        return absl::CancelledError("call cancelled");
      default:
        runtime::log::Error("backend_call_failed", {{"method", "GetProduct"},
                                                    {"code", static_cast<int>(s.error_code())},
                                                    {"error", s.error_message()}});
        return absl::InternalError("the catalog answered an error");
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
