// The saga coordinator as a process: health, its API behind tokens, its
// tables migrated, a saga started from an OrderCreated on Kafka with its
// first command sent, metrics, and a graceful exit.

#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "agora/saga/v1/admin.grpc.pb.h"
#include "agora/saga/v1/messages.pb.h"
#include "grpcpp/grpcpp.h"
#include "runtime/ids/uuid.h"
#include "tests/support/auth.h"
#include "tests/support/http.h"
#include "tests/support/reflection.h"
#include "tests/support/saga_wire.h"
#include "tests/support/service_process.h"

namespace agora {
namespace {

using agora::testing::Eventually;
using agora::testing::ServiceProcess;
using agora::testing::TestDatabase;
using agora::testing::UniqueName;

TEST_CASE("the saga process starts sagas from order events, serves its API and stops on SIGTERM",
          "[e2e][kafka]") {
  TestDatabase db("saga");
  const std::string prefix = UniqueName("p") + ".";
  ServiceProcess proc(AGORA_SAGA_BINARY, "saga", db,
                      {"--jwt-public-key-file=" + agora::testing::TestPublicKeyFile(), "--kafka-topic-prefix=" + prefix,
                       "--saga-group=" + UniqueName("saga")});
  auto stub = saga::v1::Sagas::NewStub(grpc::CreateChannel(proc.address(), grpc::InsecureChannelCredentials()));
  {
    grpc::ClientContext anonymous;
    saga::v1::ListSagasResponse out;
    CHECK(stub->ListSagas(&anonymous, {}, &out).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  }
  CHECK(db.QueryAsSuper("SELECT count(*) FROM pg_tables WHERE schemaname = 'saga' AND tablename IN "
                        "('outbox', 'inbox', 'sagas', 'early_cancels')") == "4");

  // An order is created: its saga starts and sends ReserveStock.
  agora::testing::TopicReader commands(prefix + "agora.saga.commands.inventory");
  agora::testing::SagaWire wire(prefix);
  saga::v1::OrderCreated created;
  created.set_order_id(runtime::ids::NewUuid());
  created.set_customer_id(runtime::ids::NewUuid());
  saga::v1::OrderLine* line = created.add_lines();
  line->set_product_id(runtime::ids::NewUuid());
  line->set_quantity(2);
  line->set_unit_price_cents(300);
  created.set_total_cents(600);
  const runtime::messaging::Envelope event = runtime::messaging::Wrap(created);
  wire.SendRaw(prefix + "agora.orders.events", created.order_id(), event.SerializeAsString());
  REQUIRE(commands.WaitFor(1, 30));
  const auto sent = runtime::messaging::ParseEnvelope(commands.Messages()[0].value);
  REQUIRE(sent.ok());
  CHECK(sent->type() == "agora.saga.v1.ReserveStockCommand");
  CHECK(sent->causation_id() == event.message_id());
  CHECK(commands.Messages()[0].key == created.order_id());

  saga::v1::ListSagasResponse list;
  {
    grpc::ClientContext admin;
    admin.AddMetadata("authorization", agora::testing::BearerFor(runtime::ids::NewUuid(), /*admin=*/true));
    REQUIRE(stub->ListSagas(&admin, {}, &list).ok());
  }
  REQUIRE(list.sagas_size() == 1);
  CHECK(list.sagas(0).order_id() == created.order_id());
  CHECK(list.sagas(0).state() == saga::v1::RUNNING);
  CHECK(list.sagas(0).current_step() == "ReserveStock");

  const std::string metrics = agora::testing::HttpGet(proc.metrics_port(), "/metrics");
  CHECK(metrics.find("grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"ListSagas\"") != std::string::npos);
  // Series that dashboards and alerts read exist before their first event,
  // at 0: re-sends and time-outs by step, dead letters by topic, outbox
  // failures; the pool reports its size.
  for (const std::string& series : std::vector<std::string>{
           "agora_saga_resends_total{step=\"RefundBalance\"} 0", "agora_saga_step_timeouts_total{step=\"ApproveOrder\"} 0",
        "agora_kafka_dead_letters_total{topic=\"" + prefix + "agora.saga.replies\"} 0",
        "agora_outbox_failed_total{kind=\"refused\",schema=\"saga\"} 0", "agora_outbox_dead_total{schema=\"saga\"} 0",
        "agora_pg_retries_total{reason=\"reconnect\"} 0"}) {
    INFO(series);
    CHECK(metrics.find("\n" + series + "\n") != std::string::npos);
  }
  CHECK(metrics.find("\nagora_pg_pool_size ") != std::string::npos);
  CHECK(metrics.find("\nagora_pg_pool_size 0\n") == std::string::npos);
  // Reflection: on by default, off with --grpc-reflection=false.
  {
    std::string answer;
    REQUIRE(agora::testing::ListServicesByReflection(
                grpc::CreateChannel(proc.address(), grpc::InsecureChannelCredentials()), &answer)
                .ok());
    CHECK(answer.find("agora.saga.v1.Sagas") != std::string::npos);
    ServiceProcess hidden(AGORA_SAGA_BINARY, "saga", db,
                          {"--jwt-public-key-file=" + agora::testing::TestPublicKeyFile(),
                           "--kafka-topic-prefix=" + prefix, "--saga-group=" + UniqueName("hidden"),
                           "--grpc-reflection=false"});
    CHECK(agora::testing::ListServicesByReflection(
              grpc::CreateChannel(hidden.address(), grpc::InsecureChannelCredentials()), &answer)
              .error_code() == grpc::StatusCode::UNIMPLEMENTED);
  }
  proc.process().Signal(SIGTERM);
  const int exit_status = proc.process().Wait();
  CHECK(WIFEXITED(exit_status));
  CHECK(WEXITSTATUS(exit_status) == 0);
  CHECK(proc.Log().find("\"event\":\"saga_stopped\"") != std::string::npos);
}

}  // namespace
}  // namespace agora
