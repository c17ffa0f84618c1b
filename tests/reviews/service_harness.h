#pragma once

// The reviews service over real gRPC (in-process server on port 0), real
// PostgreSQL (a database of its own per harness) and real tokens; customers
// is a fake.

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "grpcpp/grpcpp.h"
#include "reviews/service.h"
#include "runtime/grpc/server.h"
#include "tests/reviews/fixtures.h"
#include "tests/support/auth.h"

namespace agora::reviews::testing {

using agora::testing::BearerFor;

class Harness : public StoreFixture {
 public:
  Harness()
      : executor_(8, 1024),
        service_(store(), profiles_, orders_, agora::testing::TestAuthorizer(), executor_) {
    auto server = runtime::grpc_server::GrpcServer::Start("127.0.0.1:0", {&service_});
    REQUIRE(server.ok());
    server_ = std::move(*server);
    stub_ = pb::Reviews::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                                     grpc::InsecureChannelCredentials()));
  }

  FakeProfiles& profiles() { return profiles_; }
  FakeOrderLookup& orders() { return orders_; }

  // Orders holds an order's status before its event reaches reviews; here
  // both take it (orders().Observe alone: reviews has not heard yet).
  absl::Status Deliver(const runtime::messaging::Envelope& envelope) {
    orders_.Observe(envelope);
    return StoreFixture::Deliver(envelope);
  }
  void Buy(const std::string& customer_id, const std::string& product_id,
           OrderStatus status = agora::orders::v1::APPROVED) {
    REQUIRE(Deliver(testing::StatusChanged(runtime::ids::NewUuid(), customer_id, status, {product_id})).ok());
  }

  // `authorization` "" sends no token.
  grpc::Status Create(const std::string& authorization, const std::string& product, int rating,
                      const std::string& text, pb::Review* out = nullptr, const std::string& idempotency_key = "") {
    pb::CreateReviewRequest req;
    req.set_idempotency_key(idempotency_key);
    req.set_product_id(product);
    req.set_rating(rating);
    req.set_text(text);
    pb::Review resp;
    grpc::ClientContext ctx;
    if (!authorization.empty()) ctx.AddMetadata("authorization", authorization);
    const grpc::Status s = stub_->CreateReview(&ctx, req, &resp);
    if (out != nullptr) *out = resp;
    return s;
  }
  pb::Review MustCreate(const std::string& customer, const std::string& product, int rating,
                        const std::string& text = "Good.") {
    pb::Review r;
    const grpc::Status s = Create(BearerFor(customer), product, rating, text, &r);
    INFO(s.error_message());
    REQUIRE(s.ok());
    return r;
  }
  // Buys, then reviews.
  pb::Review BuyAndReview(const std::string& customer, const std::string& product, int rating) {
    Buy(customer, product);
    return MustCreate(customer, product, rating);
  }
  grpc::Status Delete(const std::string& authorization, const std::string& id) {
    pb::DeleteReviewRequest req;
    req.set_id(id);
    google::protobuf::Empty resp;
    grpc::ClientContext ctx;
    if (!authorization.empty()) ctx.AddMetadata("authorization", authorization);
    return stub_->DeleteReview(&ctx, req, &resp);
  }
  grpc::Status List(const std::string& product, int page_size, const std::string& token,
                    pb::ListReviewsResponse* out, const std::string& authorization = "") {
    pb::ListReviewsRequest req;
    req.set_product_id(product);
    req.set_page_size(page_size);
    req.set_page_token(token);
    grpc::ClientContext ctx;
    if (!authorization.empty()) ctx.AddMetadata("authorization", authorization);
    return stub_->ListReviews(&ctx, req, out);
  }
  pb::ListReviewsResponse MustList(const std::string& product, int page_size = 100,
                                   const std::string& token = "") {
    pb::ListReviewsResponse resp;
    REQUIRE(List(product, page_size, token, &resp).ok());
    return resp;
  }
  pb::Rating Rating(const std::string& product) {
    pb::GetRatingRequest req;
    req.set_product_id(product);
    pb::Rating resp;
    grpc::ClientContext ctx;
    REQUIRE(stub_->GetRating(&ctx, req, &resp).ok());
    return resp;
  }

 private:
  FakeProfiles profiles_;
  FakeOrderLookup orders_;
  runtime::grpc_server::Executor executor_;
  ReviewsService service_;
  std::unique_ptr<runtime::grpc_server::GrpcServer> server_;
  std::unique_ptr<pb::Reviews::Stub> stub_;
};

}  // namespace agora::reviews::testing
