// Every service binary runs as a process: health SERVING, reflection,
// metrics, graceful exit. Services whose issue has not landed answer
// UNIMPLEMENTED (README.md, "Status").

#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "agora/saga/v1/admin.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "tests/support/http.h"
#include "tests/support/service_process.h"

namespace agora {
namespace {

using agora::testing::ServiceProcess;
using agora::testing::TestDatabase;

struct Case {
  const char* name;
  const char* binary;
};

TEST_CASE("each placeholder service runs, is healthy and answers UNIMPLEMENTED", "[e2e]") {
  const Case cases[] = {{"saga", AGORA_SAGA_BINARY}};
  for (const Case& c : cases) {
    SECTION(c.name) {
      TestDatabase db(c.name);
      ServiceProcess proc(c.binary, c.name, db);
      auto channel = grpc::CreateChannel(proc.address(), grpc::InsecureChannelCredentials());
      grpc::Status status;
      grpc::ClientContext ctx;
      saga::v1::ListSagasResponse out;
      status = saga::v1::Sagas::NewStub(channel)->ListSagas(&ctx, {}, &out);
      CHECK(status.error_code() == grpc::StatusCode::UNIMPLEMENTED);
      // The runtime's messaging tables are migrated in the service's own schema.
      CHECK(db.QueryAsSuper("SELECT count(*) FROM pg_tables WHERE schemaname = '" +
                            std::string(c.name) + "' AND tablename IN ('outbox', 'inbox')") == "2");
      const std::string metrics = agora::testing::HttpGet(proc.metrics_port(), "/metrics");
      CHECK(metrics.find("grpc_code=\"Unimplemented\"") != std::string::npos);
      proc.process().Signal(SIGTERM);
      const int exit_status = proc.process().Wait();
      CHECK(WIFEXITED(exit_status));
      CHECK(WEXITSTATUS(exit_status) == 0);
    }
  }
}

}  // namespace
}  // namespace agora
