#include <catch2/catch.hpp>

#include "saga/record.h"

namespace agora::saga {
namespace {

TEST_CASE("a saga survives its stored form, mid-compensation included", "[unit]") {
  int n = 0;
  const IdSource ids = [&n] { return "m" + std::to_string(++n); };
  const SagaDefinition def = PlaceOrder();
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  Transition t = Start(def, "s-1", {"o-1", "c-1", {{"p-1", 2, 300, true}, {"p-2", 1, 50, false}}, 650, true}, t0, ids);
  t.saga.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  t = Apply(def, t.saga, ReplyInput{t.saga.steps[0].message_id, true, ""}, t0 + absl::Seconds(1), ids);
  t = Apply(def, t.saga, Abort{}, t0 + absl::Seconds(2), ids);
  REQUIRE(t.saga.status == SagaStatus::kCompensating);
  absl::StatusOr<Saga> back = FromRecord(ToRecord(t.saga));
  REQUIRE(back.ok());
  CHECK(ToRecord(*back).SerializeAsString() == ToRecord(t.saga).SerializeAsString());
  CHECK(back->to_undo == t.saga.to_undo);
  CHECK(back->deadline == t.saga.deadline);
  CHECK(back->traceparent == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  REQUIRE(back->order.lines.size() == 2);
  CHECK(back->order.lines[0].on_sale);
  CHECK_FALSE(back->order.lines[1].on_sale);
  CHECK(back->current_step() == "RefundBalance");
  // Ended: no deadline, stored as such.
  Saga ended = *back;
  ended.status = SagaStatus::kFailed;
  ended.deadline = absl::InfiniteFuture();
  CHECK(FromRecord(ToRecord(ended))->deadline == absl::InfiniteFuture());
  // Values no saga has are refused.
  agora::saga::v1::SagaRecord bad = ToRecord(t.saga);
  bad.set_status(42);
  CHECK_FALSE(FromRecord(bad).ok());
  bad = ToRecord(t.saga);
  bad.set_current(99);
  CHECK_FALSE(FromRecord(bad).ok());
}

}  // namespace
}  // namespace agora::saga
