// The purchase consumer wired as main wires it (StartPurchaseConsumer),
// against the run's dev broker and a real PostgreSQL database.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agora/saga/v1/messages.pb.h"
#include "reviews/purchases.h"
#include "runtime/ids/uuid.h"
#include "runtime/kafka/producer.h"
#include "tests/reviews/fixtures.h"

namespace agora::reviews {
namespace {

using agora::testing::Eventually;
using agora::testing::TestKafkaOptions;
using agora::testing::UniqueName;
using runtime::ids::NewUuid;
using testing::StatusChanged;
namespace orders = agora::orders::v1;

TEST_CASE("order events on Kafka become verified purchases; a poison message is dead-lettered",
          "[pg][kafka]") {
  testing::StoreFixture f;
  const std::string topic = UniqueName("orders_events");
  auto producer = runtime::kafka::NewProducer(TestKafkaOptions());
  REQUIRE(producer.ok());
  auto consumer = StartPurchaseConsumer(TestKafkaOptions(), topic, UniqueName("reviews"), f.store(),
                                        producer->get());
  REQUIRE(consumer.ok());

  const std::string customer = NewUuid();
  const std::string mug = NewUuid();
  const std::string teapot = NewUuid();
  const std::string key = NewUuid();  // one key: one partition, in order
  const auto approved = StatusChanged(key, customer, orders::APPROVED, {mug});
  agora::saga::v1::OrderCancelRequested cancel_requested;
  cancel_requested.set_order_id(NewUuid());
  // The last one is the sentinel: once it is applied, everything before it was handled.
  const std::vector<std::string> values = {
      "poison: not an envelope", approved.SerializeAsString(), approved.SerializeAsString(),
      runtime::messaging::Wrap(cancel_requested).SerializeAsString(),
      StatusChanged(NewUuid(), customer, orders::SHIPPED, {teapot}).SerializeAsString()};
  std::vector<runtime::kafka::OutgoingMessage> messages;
  for (const std::string& v : values) messages.push_back({topic, key, v, {}});
  for (const absl::Status& s : (*producer)->SendAndWait(messages, absl::Seconds(20))) {
    REQUIRE(s.ok());
  }

  const std::string granted =
      absl::StrCat("SELECT count(*) FROM reviews.purchases WHERE grants_review AND customer_id = '",
                   customer, "' AND product_id = ");
  REQUIRE(Eventually([&] { return f.Count(granted + "'" + teapot + "'") == 1; }, 60));
  CHECK(f.Count(granted + "'" + mug + "'") == 1);
  CHECK(Eventually([&] { return (*consumer)->handled() == 4; }));
  CHECK((*consumer)->dead_lettered() == 1);
  // The duplicate found its id in the inbox; the ignored type left none.
  CHECK(f.Count("SELECT count(*) FROM reviews.inbox") == 2);
  CHECK(f.Count("SELECT count(*) FROM reviews.purchases") == 2);
  CHECK(f.store().CreateReview(NewReview{mug, customer, "Ada", 5, "Lovely"}, {}).ok());
  (*consumer)->Stop();
}

}  // namespace
}  // namespace agora::reviews
