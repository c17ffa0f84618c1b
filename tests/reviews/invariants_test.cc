// Invariants of reviews under concurrency, over real gRPC and PostgreSQL:
// one review per customer and product, and summaries that always match the
// rows they summarise.

#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "runtime/ids/uuid.h"
#include "tests/reviews/service_harness.h"

namespace agora::reviews {
namespace {

using agora::testing::BearerFor;
using runtime::ids::NewUuid;
using testing::Harness;

TEST_CASE("concurrent reviews by one customer of one product make exactly one review", "[pg]") {
  Harness h;
  const std::string customer = NewUuid();
  const std::string product = NewUuid();
  h.Buy(customer, product);
  std::atomic<int> ok{0}, exists{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t) {
    threads.emplace_back([&, t] {
      const grpc::Status s = h.Create(BearerFor(customer), product, 1 + t % 5, "race");
      if (s.ok()) {
        ok.fetch_add(1);
      } else if (s.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
        exists.fetch_add(1);
      } else {
        other.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(ok.load() == 1);
  CHECK(exists.load() == 11);
  CHECK(other.load() == 0);
  CHECK(h.Count("SELECT count(*) FROM reviews.reviews") == 1);
  CHECK(h.Count("SELECT review_count FROM reviews.rating_summaries") == 1);
  CHECK(h.Query("SELECT rating_sum FROM reviews.rating_summaries") ==
        h.Query("SELECT rating FROM reviews.reviews"));
}

TEST_CASE("under concurrent creates and deletes each summary matches its product's reviews",
          "[pg]") {
  Harness h;
  const std::vector<std::string> products = {NewUuid(), NewUuid()};
  std::vector<std::string> customers;
  for (int i = 0; i < 8; ++i) {
    customers.push_back(NewUuid());
    for (const std::string& p : products) h.Buy(customers.back(), p);
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      const std::string& me = customers[static_cast<size_t>(t)];
      for (int round = 0; round < 6; ++round) {
        for (const std::string& p : products) {
          pb::Review r;
          if (h.Create(BearerFor(me), p, 1 + (t + round) % 5, "", &r).ok() &&
              (t + round) % 2 == 0) {
            h.Delete(BearerFor(me), r.id());
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  // Invariant: per product, the summary's count and sum are those of its rows.
  const std::string mismatches = h.Query(
      "SELECT count(*) FROM reviews.rating_summaries s FULL JOIN "
      "(SELECT product_id, count(*) AS n, sum(rating) AS total FROM reviews.reviews "
      "GROUP BY product_id) r USING (product_id) "
      "WHERE COALESCE(s.review_count, 0) <> COALESCE(r.n, 0) "
      "OR COALESCE(s.rating_sum, 0) <> COALESCE(r.total, 0)");
  CHECK(mismatches == "0");
  CHECK(h.Count("SELECT COALESCE(sum(review_count), 0) FROM reviews.rating_summaries") ==
        h.Count("SELECT count(*) FROM reviews.reviews"));
  CHECK(h.Count("SELECT count(*) FROM reviews.reviews") > 0);
}

}  // namespace
}  // namespace agora::reviews
