// The reviews binary as a process: configuration errors, start-up
// (migrations, token keys, the order-event consumer), serving, and a clean
// exit on SIGTERM.

#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "agora/reviews/v1/reviews.grpc.pb.h"
#include "agora/saga/v1/messages.pb.h"
#include "grpcpp/grpcpp.h"
#include "runtime/ids/uuid.h"
#include "runtime/kafka/producer.h"
#include "runtime/messaging/envelope.h"
#include "tests/support/auth.h"
#include "tests/support/http.h"
#include "tests/support/infra.h"
#include "tests/support/service_process.h"

namespace agora::reviews {
namespace {

namespace pb = agora::reviews::v1;
using agora::testing::ChildProcess;
using agora::testing::Eventually;
using agora::testing::GetInfra;
using agora::testing::ReadFile;
using agora::testing::ServiceProcess;
using agora::testing::TestDatabase;
using agora::testing::UniqueName;
using runtime::ids::NewUuid;

TEST_CASE("the reviews process learns purchases from Kafka, serves, and stops on SIGTERM",
          "[e2e]") {
  TestDatabase db("reviews");
  const std::string prefix = UniqueName("p") + ".";
  const std::string topic = prefix + "agora.orders.events";
  ServiceProcess proc(AGORA_REVIEWS_BINARY, "reviews", db,
                      {"--jwt-public-key-file=" + agora::testing::TestPublicKeyFile(),
                       "--kafka-brokers=" + GetInfra().kafka_brokers,
                       "--kafka-topic-prefix=" + prefix, "--consumer-group=" + UniqueName("reviews"),
                       // Nothing listens there: customers is down.
                       "--customers-address=127.0.0.1:1"});

  const std::string customer = NewUuid();
  const std::string product = NewUuid();
  agora::saga::v1::OrderStatusChanged event;
  event.set_order_id(NewUuid());
  event.set_customer_id(customer);
  event.set_status(agora::orders::v1::APPROVED);
  event.add_lines()->set_product_id(product);
  auto producer = runtime::kafka::NewProducer(agora::testing::TestKafkaOptions());
  REQUIRE(producer.ok());
  const auto sent = (*producer)->SendAndWait(
      {{topic, event.order_id(), runtime::messaging::Wrap(event).SerializeAsString(), {}}},
      absl::Seconds(20));
  REQUIRE(sent[0].ok());
  REQUIRE(Eventually(
      [&] {
        return db.QueryAsSuper("SELECT count(*) FROM reviews.purchases WHERE grants_review") == "1";
      },
      60));

  auto stub =
      pb::Reviews::NewStub(grpc::CreateChannel(proc.address(), grpc::InsecureChannelCredentials()));
  pb::CreateReviewRequest create;
  create.set_product_id(product);
  create.set_rating(5);
  pb::Review review;
  {
    grpc::ClientContext ctx;
    CHECK(stub->CreateReview(&ctx, create, &review).error_code() ==
          grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    // The token is verified with the key file; the author name needs customers, which is down.
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", agora::testing::BearerFor(customer));
    CHECK(stub->CreateReview(&ctx, create, &review).error_code() == grpc::StatusCode::UNAVAILABLE);
  }
  {
    pb::GetRatingRequest req;
    req.set_product_id(product);
    pb::Rating rating;
    grpc::ClientContext ctx;
    REQUIRE(stub->GetRating(&ctx, req, &rating).ok());
    CHECK(rating.count() == 0);
  }
  const std::string metrics = agora::testing::HttpGet(proc.metrics_port(), "/metrics");
  CHECK(metrics.find(
            "agora_reviews_events_handled_total{type=\"agora.saga.v1.OrderStatusChanged\"} 1") !=
        std::string::npos);

  proc.process().Signal(SIGTERM);
  const int status = proc.process().Wait();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(proc.Log().find("\"event\":\"reviews_stopped\"") != std::string::npos);
}

TEST_CASE("the reviews process refuses to start without its token keys", "[e2e]") {
  const std::string log = GetInfra().dir + "/" + UniqueName("reviews-bad") + ".log";
  ChildProcess proc(AGORA_REVIEWS_BINARY, {"--jwt-public-key-file=/nonexistent/key.pem"}, log);
  const int status = proc.Wait();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) != 0);
  const std::string text = ReadFile(log);
  CHECK(text.find("jwt_keys_unavailable") != std::string::npos);
  CHECK(text.find("/nonexistent/key.pem") != std::string::npos);
}

TEST_CASE("a bad reviews setting stops the process with a message naming the variable", "[e2e]") {
  const std::string log = GetInfra().dir + "/" + UniqueName("reviews-bad") + ".log";
  ChildProcess proc(AGORA_REVIEWS_BINARY, {"--customers-timeout=forever", "--consumer-group="},
                    log);
  const int status = proc.Wait();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 2);
  const std::string text = ReadFile(log);
  CHECK(text.find("AGORA_CUSTOMERS_TIMEOUT") != std::string::npos);
  CHECK(text.find("AGORA_CONSUMER_GROUP") != std::string::npos);
}

}  // namespace
}  // namespace agora::reviews
