#include "saga/clients.h"

#include "agora/orders/v1/orders.grpc.pb.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/grpcpp.h"
#include "runtime/auth/service_identity.h"
#include "runtime/grpc/client.h"

namespace agora::saga {
namespace {

namespace orders = agora::orders::v1;

class GrpcOrderDirectory final : public OrderDirectory {
 public:
  GrpcOrderDirectory(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout,
                     runtime::auth::ServiceTokenSource& identity)
      : stub_(orders::Orders::NewStub(std::move(channel))), timeout_(timeout), identity_(identity) {}

  absl::StatusOr<std::optional<LocatedOrder>> Locate(const std::string& order_id,
                                                     const grpc::ServerContextBase* incoming) override {
    orders::LocateOrderRequest req;
    req.set_order_id(order_id);
    orders::LocatedOrder resp;
    std::unique_ptr<grpc::ClientContext> ctx =
        runtime::grpc_client::NewContext(timeout_, incoming, identity_.Token(absl::Now()));
    const grpc::Status s = stub_->LocateOrder(ctx.get(), req, &resp);
    switch (s.error_code()) {
      case grpc::StatusCode::OK:
        return std::optional<LocatedOrder>(LocatedOrder{
            resp.customer_id(), resp.status() == orders::PENDING,
            absl::FromUnixMicros(google::protobuf::util::TimeUtil::TimestampToMicroseconds(resp.created_at())),
            orders::OrderStatus_Name(resp.status())});
      case grpc::StatusCode::NOT_FOUND:
        return std::optional<LocatedOrder>();
      default:
        return runtime::grpc_client::BackendFailure(s, "orders", "LocateOrder");
    }
  }

 private:
  std::unique_ptr<orders::Orders::Stub> stub_;
  const absl::Duration timeout_;
  runtime::auth::ServiceTokenSource& identity_;
};

}  // namespace

std::unique_ptr<OrderDirectory> NewGrpcOrderDirectory(std::shared_ptr<grpc::Channel> channel,
                                                      absl::Duration timeout,
                                                      runtime::auth::ServiceTokenSource& identity) {
  return std::make_unique<GrpcOrderDirectory>(std::move(channel), timeout, identity);
}

}  // namespace agora::saga
