#pragma once

// The gRPC adapter of reviews: the caller from the verified token, proto <->
// domain, validation through review.h, blocking store and client calls on
// the executor. Thread-safe.

#include "agora/reviews/v1/reviews.grpc.pb.h"
#include "reviews/clients.h"
#include "reviews/store.h"
#include "runtime/auth/authorizer.h"
#include "runtime/grpc/executor.h"

namespace agora::reviews {

namespace pb = agora::reviews::v1;

class ReviewsService final : public pb::Reviews::CallbackService {
 public:
  // Every argument is borrowed and must outlive the service.
  ReviewsService(Store& store, Profiles& profiles, OrderLookup& orders, const runtime::auth::Authorizer& authorizer,
                 runtime::grpc_server::Executor& executor)
      : store_(store), profiles_(profiles), orders_(orders), authorizer_(authorizer), executor_(executor) {}

  grpc::ServerUnaryReactor* ListReviews(grpc::CallbackServerContext* ctx,
                                        const pb::ListReviewsRequest* req,
                                        pb::ListReviewsResponse* resp) override;
  grpc::ServerUnaryReactor* GetReview(grpc::CallbackServerContext* ctx, const pb::GetReviewRequest* req,
                                      pb::Review* resp) override;
  grpc::ServerUnaryReactor* GetRating(grpc::CallbackServerContext* ctx,
                                      const pb::GetRatingRequest* req, pb::Rating* resp) override;
  grpc::ServerUnaryReactor* CreateReview(grpc::CallbackServerContext* ctx,
                                         const pb::CreateReviewRequest* req,
                                         pb::Review* resp) override;
  grpc::ServerUnaryReactor* DeleteReview(grpc::CallbackServerContext* ctx,
                                         const pb::DeleteReviewRequest* req,
                                         google::protobuf::Empty* resp) override;

 private:
  Store& store_;
  Profiles& profiles_;
  OrderLookup& orders_;
  const runtime::auth::Authorizer& authorizer_;
  runtime::grpc_server::Executor& executor_;
};

}  // namespace agora::reviews
