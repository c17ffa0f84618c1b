// Reviews over real gRPC (in-process server on port 0), real PostgreSQL (a
// database of its own per test) and real tokens; customers is a fake.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "runtime/ids/uuid.h"
#include "tests/reviews/service_harness.h"

namespace agora::reviews {
namespace {

using agora::testing::BearerFor;
using runtime::ids::NewUuid;
using testing::FakeProfiles;
using testing::Harness;
namespace orders = agora::orders::v1;

TEST_CASE("a customer without a purchase cannot review: FAILED_PRECONDITION", "[pg]") {
  Harness h;
  const std::string customer = NewUuid();
  const std::string product = NewUuid();
  grpc::Status s = h.Create(BearerFor(customer), product, 5, "Lovely");
  CHECK(s.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(s.error_message() == kNotABuyerMessage);
  // A PENDING order, another customer's order, or an order of another product is not enough.
  REQUIRE(h.Deliver(testing::OrderCreated(NewUuid(), customer, {product})).ok());
  h.Buy(NewUuid(), product);
  h.Buy(customer, NewUuid());
  s = h.Create(BearerFor(customer), product, 5, "Lovely");
  CHECK(s.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(h.Count("SELECT count(*) FROM reviews.reviews") == 0);
}

TEST_CASE("a buyer with an APPROVED order reviews once; a second review is ALREADY_EXISTS",
          "[pg]") {
  Harness h;
  const std::string customer = NewUuid();
  const std::string product = NewUuid();
  h.Buy(customer, product, orders::APPROVED);
  pb::Review review;
  REQUIRE(h.Create(BearerFor(customer), product, 4, "Sturdy, keeps tea hot. Très bien ☕", &review)
              .ok());
  CHECK(runtime::ids::IsUuid(review.id()));
  CHECK(review.product_id() == product);
  CHECK(review.customer_id() == customer);
  CHECK(review.author_name() == FakeProfiles::NameOf(customer));
  CHECK(review.rating() == 4);
  CHECK(review.text() == "Sturdy, keeps tea hot. Très bien ☕");
  CHECK(review.verified_purchase());
  CHECK(review.created_at().seconds() > 0);

  const pb::ListReviewsResponse list = h.MustList(product);
  REQUIRE(list.reviews_size() == 1);
  CHECK(list.reviews(0).SerializeAsString() == review.SerializeAsString());
  CHECK(list.next_page_token().empty());

  // Another order of the same product changes nothing: one review per product.
  h.Buy(customer, product, orders::SHIPPED);
  const grpc::Status s = h.Create(BearerFor(customer), product, 1, "Changed my mind");
  CHECK(s.error_code() == grpc::StatusCode::ALREADY_EXISTS);
  CHECK(h.MustList(product).reviews_size() == 1);
  CHECK(h.Rating(product).count() == 1);
}

TEST_CASE("a SHIPPED order gives the right to review", "[pg]") {
  Harness h;
  const std::string customer = NewUuid();
  const std::string product = NewUuid();
  h.Buy(customer, product, orders::SHIPPED);
  CHECK(h.MustCreate(customer, product, 5).verified_purchase());
}

TEST_CASE("a CANCELLED or REJECTED order gives no right to review", "[pg]") {
  Harness h;
  const std::string customer = NewUuid();
  const std::string product = NewUuid();
  const std::string order = NewUuid();
  REQUIRE(h.Deliver(testing::StatusChanged(order, customer, orders::APPROVED, {product})).ok());
  REQUIRE(h.Deliver(testing::StatusChanged(order, customer, orders::CANCELLING, {product})).ok());
  CHECK(h.Create(BearerFor(customer), product, 3, "").error_code() ==
        grpc::StatusCode::FAILED_PRECONDITION);
  REQUIRE(h.Deliver(testing::StatusChanged(order, customer, orders::CANCELLED, {product})).ok());
  h.Buy(customer, product, orders::REJECTED);
  CHECK(h.Create(BearerFor(customer), product, 3, "").error_code() ==
        grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_CASE("invalid reviews are INVALID_ARGUMENT and a malformed product id NOT_FOUND", "[pg]") {
  Harness h;
  const std::string customer = NewUuid();
  const std::string product = NewUuid();
  h.Buy(customer, product);
  grpc::Status s = h.Create(BearerFor(customer), product, 0, "");
  CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(s.error_message().find("rating") != std::string::npos);
  CHECK(h.Create(BearerFor(customer), product, 6, "").error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  std::string long_text;
  for (int i = 0; i < 4001; ++i) long_text += "ü";
  s = h.Create(BearerFor(customer), product, 3, long_text);
  CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(s.error_message().find("text") != std::string::npos);
  CHECK(h.Create(BearerFor(customer), "'; DROP TABLE reviews; --", 3, "").error_code() ==
        grpc::StatusCode::NOT_FOUND);
  CHECK(h.Count("SELECT count(*) FROM reviews.reviews") == 0);
  // 4000 code points of two bytes each are fine.
  CHECK(h.MustCreate(customer, product, 3, long_text.substr(2)).text().size() == 8000);
}

TEST_CASE("creating and deleting need a valid token: UNAUTHENTICATED otherwise", "[pg]") {
  Harness h;
  const std::string customer = NewUuid();
  const std::string product = NewUuid();
  h.Buy(customer, product);
  CHECK(h.Create("", product, 5, "").error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(h.Create("Bearer not.a.token", product, 5, "").error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);
  CHECK(h.Create("Basic dXNlcjpwYXNz", product, 5, "").error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);
  const pb::Review review = h.MustCreate(customer, product, 5);
  CHECK(h.Delete("", review.id()).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  // Reads are public: a bad token is ignored there (the caller is anonymous).
  pb::ListReviewsResponse list;
  CHECK(h.List(product, 10, "", &list).ok());
  CHECK(h.List(product, 10, "", &list, BearerFor(customer)).ok());
  CHECK(h.List(product, 10, "", &list, "Bearer forged").ok());
  CHECK(h.profiles().calls() == 1);
}

TEST_CASE("the author or an admin deletes a review; anyone else is PERMISSION_DENIED", "[pg]") {
  Harness h;
  const std::string product = NewUuid();
  const std::string author = NewUuid();
  const std::string other = NewUuid();
  const pb::Review mine = h.BuyAndReview(author, product, 5);
  const pb::Review theirs = h.BuyAndReview(other, product, 1);

  grpc::Status s = h.Delete(BearerFor(other), mine.id());
  CHECK(s.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(h.MustList(product).reviews_size() == 2);
  CHECK(h.Rating(product).count() == 2);

  CHECK(h.Delete(BearerFor(author), mine.id()).ok());
  CHECK(h.Delete(BearerFor(NewUuid(), /*admin=*/true), theirs.id()).ok());
  CHECK(h.MustList(product).reviews_size() == 0);
  // Gone, unknown or malformed: NOT_FOUND.
  CHECK(h.Delete(BearerFor(author), mine.id()).error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(h.Delete(BearerFor(author), NewUuid()).error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(h.Delete(BearerFor(author), "42").error_code() == grpc::StatusCode::NOT_FOUND);
  // The author may review again once the review is gone.
  CHECK(h.MustCreate(author, product, 3).rating() == 3);
}

TEST_CASE("the rating summary follows every create and delete", "[pg]") {
  Harness h;
  const std::string product = NewUuid();
  const std::string untouched = NewUuid();
  pb::Rating r = h.Rating(product);
  CHECK(r.average() == 0);
  CHECK(r.count() == 0);
  const pb::Review five = h.BuyAndReview(NewUuid(), product, 5);
  const pb::Review four = h.BuyAndReview(NewUuid(), product, 4);
  const pb::Review two = h.BuyAndReview(NewUuid(), product, 2);
  h.BuyAndReview(NewUuid(), untouched, 1);
  r = h.Rating(product);
  CHECK(r.average() == Approx(11.0 / 3.0));
  CHECK(r.count() == 3);
  REQUIRE(h.Delete(BearerFor(four.customer_id()), four.id()).ok());
  r = h.Rating(product);
  CHECK(r.average() == 3.5);
  CHECK(r.count() == 2);
  REQUIRE(h.Delete(BearerFor(five.customer_id()), five.id()).ok());
  REQUIRE(h.Delete(BearerFor(two.customer_id()), two.id()).ok());
  r = h.Rating(product);
  CHECK(r.average() == 0);
  CHECK(r.count() == 0);
  CHECK(h.Rating(untouched).count() == 1);
  CHECK(h.Rating(untouched).average() == 1);
  // Never reviewed, or not a product id at all: 0 and 0.
  CHECK(h.Rating(NewUuid()).count() == 0);
  CHECK(h.Rating("no-such-product").count() == 0);
}

TEST_CASE("the author's name comes from customers; a customers outage is UNAVAILABLE", "[pg]") {
  Harness h;
  const std::string customer = NewUuid();
  const std::string product = NewUuid();
  h.Buy(customer, product);
  h.profiles().FailWith(absl::UnavailableError("customer profiles are unavailable, retry later"));
  CHECK(h.Create(BearerFor(customer), product, 5, "").error_code() ==
        grpc::StatusCode::UNAVAILABLE);
  CHECK(h.Count("SELECT count(*) FROM reviews.reviews") == 0);
  h.profiles().FailWith(std::nullopt);
  CHECK(h.MustCreate(customer, product, 5).author_name() == FakeProfiles::NameOf(customer));
}

TEST_CASE("a review posted before its order's events arrived asks orders: a purchase there is recorded and "
          "the review created; none there is still FAILED_PRECONDITION",
          "[pg]") {
  Harness h;
  const std::string customer = NewUuid();
  const std::string product = NewUuid();
  const std::string order = NewUuid();
  // Orders has approved the order; reviews has not heard of it yet.
  h.orders().Add(customer, product, FoundPurchase{order, OrderState::kApproved});
  const pb::Review review = h.MustCreate(customer, product, 4);
  CHECK(review.verified_purchase());
  CHECK(h.orders().calls() == 1);
  CHECK(h.Count("SELECT count(*) FROM reviews.purchases WHERE order_id = '" + order + "' AND grants_review") == 1);
  // The event that arrives later changes nothing.
  REQUIRE(h.Deliver(testing::StatusChanged(order, customer, agora::orders::v1::APPROVED, {product})).ok());
  CHECK(h.Count("SELECT count(*) FROM reviews.purchases WHERE order_id = '" + order + "'") == 1);
  // A customer orders knows nothing of: refused, as before.
  const std::string stranger = NewUuid();
  grpc::Status s = h.Create(BearerFor(stranger), product, 5, "Lovely");
  CHECK(s.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(s.error_message() == kNotABuyerMessage);
  // Orders down: UNAVAILABLE (retry later), nothing written.
  h.orders().FailWith(absl::UnavailableError("orders are unavailable, retry later"));
  CHECK(h.Create(BearerFor(stranger), product, 5, "Lovely").error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(h.Count("SELECT count(*) FROM reviews.reviews") == 1);
  // While orders cannot answer, reviews' own record decides: a buyer it knows
  // of reviews.
  const std::string buyer = NewUuid();
  h.Buy(buyer, product);
  h.orders().FailWith(absl::UnavailableError("orders are unavailable, retry later"));
  const int asked = h.orders().calls();
  h.MustCreate(buyer, product, 5);
  CHECK(h.orders().calls() == asked + 1);
}

TEST_CASE("an order cancelled at orders a moment ago grants no review, though its event has not reached "
          "reviews yet; a repeat of a review made before answers it",
          "[pg]") {
  Harness h;
  const std::string customer = NewUuid();
  const std::string product = NewUuid();
  const std::string other = NewUuid();
  const std::string order = NewUuid();
  REQUIRE(h.Deliver(testing::StatusChanged(order, customer, orders::APPROVED, {product, other})).ok());
  pb::Review first;
  REQUIRE(h.Create(BearerFor(customer), other, 4, "", &first, "key-1").ok());
  // :cancel made the order CANCELLING at orders; the event is on its way.
  h.orders().Observe(testing::StatusChanged(order, customer, orders::CANCELLING, {product, other}));
  CHECK(h.Count("SELECT count(*) FROM reviews.purchases WHERE order_id = '" + order + "' AND grants_review") == 2);
  const grpc::Status s = h.Create(BearerFor(customer), product, 5, "Lovely");
  CHECK(s.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(s.error_message() == kNotABuyerMessage);
  CHECK(h.Rating(product).count() == 0);
  // The same key and body: the first answer, not a refusal.
  pb::Review again;
  REQUIRE(h.Create(BearerFor(customer), other, 4, "", &again, "key-1").ok());
  CHECK(again.id() == first.id());
  CHECK(h.Rating(other).count() == 1);
  // Another order of the product, approved at orders: granted again.
  h.orders().Add(customer, product, FoundPurchase{NewUuid(), OrderState::kApproved});
  CHECK(h.MustCreate(customer, product, 5).verified_purchase());
}

TEST_CASE("review pages hold exactly pageSize reviews, newest first; the last has no token",
          "[pg]") {
  Harness h;
  const std::string product = NewUuid();
  std::vector<std::string> created;  // oldest first
  for (int i = 0; i < 45; ++i)
    created.push_back(h.BuyAndReview(NewUuid(), product, 1 + i % 5).id());
  h.BuyAndReview(NewUuid(), NewUuid(), 3);  // another product's review never shows

  const std::vector<std::pair<int, std::vector<int>>> cases = {
      {20, {20, 20, 5}}, {15, {15, 15, 15}}, {45, {45}},
      {44, {44, 1}},     {0, {20, 20, 5}},   {1000, {45}}};
  for (const auto& [size, pages] : cases) {
    std::vector<int> sizes;
    std::vector<std::string> seen;
    std::string token;
    do {
      const pb::ListReviewsResponse page = h.MustList(product, size, token);
      sizes.push_back(page.reviews_size());
      for (const auto& r : page.reviews()) seen.push_back(r.id());
      token = page.next_page_token();
    } while (!token.empty() && sizes.size() < 10);
    INFO("page size " << size);
    CHECK(sizes == pages);
    CHECK(seen == std::vector<std::string>(created.rbegin(), created.rend()));
  }

  pb::ListReviewsResponse resp;
  CHECK(h.List(product, -1, "", &resp).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(h.List(product, 5, "garbage", &resp).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  const std::string token = h.MustList(product, 5).next_page_token();
  CHECK(h.List(NewUuid(), 5, token, &resp).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  // An unknown or malformed product has no reviews.
  CHECK(h.MustList(NewUuid()).reviews_size() == 0);
  CHECK(h.MustList("not-a-product").reviews_size() == 0);
  CHECK(h.MustList("not-a-product").next_page_token().empty());
}

}  // namespace
}  // namespace agora::reviews
