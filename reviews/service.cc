#include "reviews/service.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "reviews/convert.h"
#include "reviews/metrics.h"
#include "reviews/review.h"
#include "runtime/auth/authorized_call.h"
#include "runtime/idempotency/request_keys.h"
#include "runtime/ids/uuid.h"
#include "runtime/status/reason.h"

namespace agora::reviews {
namespace {

using runtime::auth::Caller;
using runtime::auth::OffloadAuthorized;
using runtime::ids::IsUuid;

constexpr char kListReviews[] = "agora.reviews.v1.Reviews.ListReviews";
constexpr char kGetRating[] = "agora.reviews.v1.Reviews.GetRating";
constexpr char kGetReview[] = "agora.reviews.v1.Reviews.GetReview";
constexpr char kCreateReview[] = "agora.reviews.v1.Reviews.CreateReview";
constexpr char kDeleteReview[] = "agora.reviews.v1.Reviews.DeleteReview";

}  // namespace

grpc::ServerUnaryReactor* ReviewsService::ListReviews(grpc::CallbackServerContext* ctx,
                                                      const pb::ListReviewsRequest* req,
                                                      pb::ListReviewsResponse* resp) {
  return OffloadAuthorized(
      ctx, executor_, authorizer_, kListReviews,
      [this, req, resp](const Caller& /*caller*/) -> absl::Status {
        absl::StatusOr<ListQuery> query =
            MakeListQuery(req->product_id(), req->page_size(), req->page_token());
        if (!query.ok()) return query.status();
        // An id that is not a UUID names no product: it has no reviews.
        if (!IsUuid(query->product_id)) return absl::OkStatus();
        absl::StatusOr<Page> page = store_.ListReviews(*query);
        if (!page.ok()) return page.status();
        for (const Review& r : page->reviews) ToProto(r, resp->add_reviews());
        resp->set_next_page_token(EncodePageToken(page->next, query->product_id));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* ReviewsService::GetReview(grpc::CallbackServerContext* ctx,
                                                    const pb::GetReviewRequest* req, pb::Review* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kGetReview,
                           [this, req, resp](const Caller& /*caller*/) -> absl::Status {
                             absl::StatusOr<Review> review = store_.GetReview(absl::AsciiStrToLower(req->id()));
                             if (!review.ok()) return review.status();
                             ToProto(*review, resp);
                             return absl::OkStatus();
                           });
}

grpc::ServerUnaryReactor* ReviewsService::GetRating(grpc::CallbackServerContext* ctx,
                                                    const pb::GetRatingRequest* req,
                                                    pb::Rating* resp) {
  return OffloadAuthorized(ctx, executor_, authorizer_, kGetRating,
                           [this, req, resp](const Caller& /*caller*/) -> absl::Status {
                             if (!IsUuid(req->product_id())) return absl::OkStatus();  // 0 and 0
                             absl::StatusOr<Rating> rating =
                                 store_.GetRating(absl::AsciiStrToLower(req->product_id()));
                             if (!rating.ok()) return rating.status();
                             resp->set_average(rating->average);
                             resp->set_count(rating->count);
                             return absl::OkStatus();
                           });
}

grpc::ServerUnaryReactor* ReviewsService::CreateReview(grpc::CallbackServerContext* ctx,
                                                       const pb::CreateReviewRequest* req,
                                                       pb::Review* resp) {
  return OffloadAuthorized(
      ctx, executor_, authorizer_, kCreateReview,
      [this, ctx, req, resp](const Caller& caller) -> absl::Status {
        if (absl::Status s = ValidateReview(req->rating(), req->text()); !s.ok()) return s;
        if (!IsUuid(req->product_id())) {
          return absl::NotFoundError(absl::StrCat("product ", req->product_id(), " not found"));
        }
        // Purchases are recorded by customer id: a subject that is not one
        // has none.
        if (!IsUuid(caller.customer_id)) {
          return runtime::status::WithReason(absl::FailedPreconditionError(kNotABuyerMessage), "PURCHASE_REQUIRED");
        }
        // Asked before the transaction, so that no lock waits on customers.
        absl::StatusOr<std::string> name = profiles_.DisplayName(caller.customer_id, ctx);
        if (!name.ok()) return name.status();
        absl::StatusOr<runtime::idempotency::RequestKey> key = runtime::idempotency::MakeRequestKey(
            caller.customer_id, kCreateReview, req->idempotency_key(), *req);
        if (!key.ok()) return key.status();
        NewReview review{absl::AsciiStrToLower(req->product_id()), absl::AsciiStrToLower(caller.customer_id),
                         *name, req->rating(), req->text()};
        // Orders decides: the purchases recorded here from its events trail
        // it by the events' trip, both ways (an order approved, or cancelled,
        // a moment ago). While orders cannot answer, that record decides.
        absl::StatusOr<std::optional<FoundPurchase>> found =
            orders_.FindPurchase(review.customer_id, review.product_id, ctx);
        if (found.ok() && !found->has_value()) review.refused_at_source = true;
        absl::StatusOr<Review> created = store_.CreateReview(review, *key);
        if (runtime::status::ReasonOf(created.status()) == "PURCHASE_REQUIRED" && !review.refused_at_source) {
          // Orders unreachable, and no purchase recorded: retry later.
          if (!found.ok()) return found.status();
          // Orders holds a purchase whose event has not arrived: recorded as
          // the event will be, and the review tried again.
          const PurchaseUpdate purchase{(*found)->order_id, review.customer_id, (*found)->state, {review.product_id}};
          absl::StatusOr<PurchaseUpdate> normalised = NormalisePurchaseUpdate(purchase);
          if (!normalised.ok()) return normalised.status();
          // One inbox entry per order and state: asking again changes nothing.
          absl::StatusOr<bool> recorded = store_.ApplyPurchaseUpdate(
              absl::StrCat("orders-lookup:", normalised->order_id, ":", OrderStateName(normalised->state)), *normalised);
          if (!recorded.ok()) return recorded.status();
          GetMetrics().purchases_looked_up.Increment();
          created = store_.CreateReview(review, *key);
        }
        if (!created.ok()) return created.status();
        ToProto(*created, resp);
        GetMetrics().created.Increment();
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* ReviewsService::DeleteReview(grpc::CallbackServerContext* ctx,
                                                       const pb::DeleteReviewRequest* req,
                                                       google::protobuf::Empty* /*resp*/) {
  return OffloadAuthorized(
      ctx, executor_, authorizer_, kDeleteReview,
      [this, req](const Caller& caller) -> absl::Status {
        if (!IsUuid(req->id())) {
          return absl::NotFoundError(absl::StrCat("review ", req->id(), " not found"));
        }
        return store_.DeleteReview(
            absl::AsciiStrToLower(req->id()),
            Actor{absl::AsciiStrToLower(caller.customer_id), caller.is_admin()});
      });
}

}  // namespace agora::reviews
