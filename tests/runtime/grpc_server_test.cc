#include <catch2/catch.hpp>
#include <future>
#include <thread>

#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "prometheus/exposer.h"
#include "runtime/grpc/server.h"
#include "runtime/metrics/metrics.h"
#include "tests/support/http.h"
#include "tests/support/reflection.h"

namespace agora::runtime::grpc_server {
namespace {

// Answers every unknown method after `delay`, echoing the request.
class SlowEcho final : public grpc::CallbackGenericService {
 public:
  explicit SlowEcho(std::chrono::milliseconds delay) : delay_(delay) {}
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext*) override {
    return new Reactor(delay_);
  }

 private:
  class Reactor final : public grpc::ServerGenericBidiReactor {
   public:
    explicit Reactor(std::chrono::milliseconds delay) : delay_(delay) { StartRead(&buffer_); }
    void OnReadDone(bool ok) override {
      if (!ok) {
        Finish(grpc::Status::OK);
        return;
      }
      std::thread([this] {
        std::this_thread::sleep_for(delay_);
        StartWrite(&buffer_);
      }).detach();
    }
    void OnWriteDone(bool) override { Finish(grpc::Status::OK); }
    void OnDone() override { delete this; }

   private:
    std::chrono::milliseconds delay_;
    grpc::ByteBuffer buffer_;
  };
  std::chrono::milliseconds delay_;
};

grpc::Status Call(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                  const std::string& body, std::string* answer = nullptr) {
  grpc::GenericStub stub(channel);
  grpc::Slice slice(body);
  grpc::ByteBuffer in(&slice, 1);
  grpc::ByteBuffer out;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, method, grpc::StubOptions(), &in, &out,
                 [&](grpc::Status s) { done.set_value(s); });
  grpc::Status s = done.get_future().get();
  if (answer != nullptr && s.ok()) {
    std::vector<grpc::Slice> slices;
    out.Dump(&slices);
    answer->clear();
    for (const auto& sl : slices) answer->append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  }
  return s;
}

TEST_CASE("the server reports SERVING, then NOT_SERVING while it drains", "[unit]") {
  auto server = GrpcServer::Start("127.0.0.1:0", {});
  REQUIRE(server.ok());
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string((*server)->port()),
                                     grpc::InsecureChannelCredentials());
  std::string answer;
  REQUIRE(Call(channel, "/grpc.health.v1.Health/Check", "", &answer).ok());
  CHECK(answer == std::string("\x08\x01", 2));  // SERVING
  (*server)->SetServing(false);
  REQUIRE(Call(channel, "/grpc.health.v1.Health/Check", "", &answer).ok());
  CHECK(answer == std::string("\x08\x02", 2));  // NOT_SERVING
}

TEST_CASE("reflection is served", "[unit]") {
  auto server = GrpcServer::Start("127.0.0.1:0", {});
  REQUIRE(server.ok());
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string((*server)->port()),
                                     grpc::InsecureChannelCredentials());
  std::string answer;
  REQUIRE(agora::testing::ListServicesByReflection(channel, &answer).ok());
  CHECK(answer.find("grpc.health.v1.Health") != std::string::npos);
}

TEST_CASE("shutdown lets an in-flight call finish within the drain time", "[unit]") {
  SlowEcho slow(std::chrono::milliseconds(300));
  auto server = GrpcServer::Start("127.0.0.1:0", {}, &slow);
  REQUIRE(server.ok());
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string((*server)->port()),
                                     grpc::InsecureChannelCredentials());
  REQUIRE(Call(channel, "/grpc.health.v1.Health/Check", "").ok());  // connected
  std::promise<grpc::Status> result;
  std::thread client([&] {
    std::string answer;
    grpc::Status s = Call(channel, "/test.Slow/Echo", "hello", &answer);
    if (s.ok() && answer != "hello") s = grpc::Status(grpc::StatusCode::DATA_LOSS, "wrong echo");
    result.set_value(s);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the call is in flight
  (*server)->Shutdown(absl::Seconds(5));
  client.join();
  const grpc::Status s = result.get_future().get();
  CHECK(s.ok());
  // New calls are refused after shutdown.
  CHECK_FALSE(Call(channel, "/grpc.health.v1.Health/Check", "").ok());
}

// The value of one series on a /metrics page (0 when absent).
double SeriesValue(const std::string& page, const std::string& series) {
  const auto at = page.find(series + " ");
  if (at == std::string::npos) return 0;
  return std::stod(page.substr(at + series.size() + 1));
}

TEST_CASE("every call is counted by service, method and code and exposed on /metrics", "[unit]") {
  auto exposer = metrics::StartExposer("127.0.0.1", 0);
  REQUIRE(exposer.ok());
  auto server = GrpcServer::Start("127.0.0.1:0", {});
  REQUIRE(server.ok());
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string((*server)->port()),
                                     grpc::InsecureChannelCredentials());
  const std::string ok_series =
      "grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Check\","
      "grpc_service=\"grpc.health.v1.Health\",grpc_type=\"unary\"}";
  const double before =
      SeriesValue(agora::testing::HttpGet(metrics::ExposerPort(**exposer), "/metrics"), ok_series);
  for (int i = 0; i < 3; ++i) REQUIRE(Call(channel, "/grpc.health.v1.Health/Check", "").ok());
  // An unknown service name: NOT_FOUND from the health service.
  std::string unknown("\x0a\x03xyz", 5);
  CHECK(Call(channel, "/grpc.health.v1.Health/Check", unknown).error_code() ==
        grpc::StatusCode::NOT_FOUND);
  const std::string page = agora::testing::HttpGet(metrics::ExposerPort(**exposer), "/metrics");
  CHECK(SeriesValue(page, ok_series) - before == 3);
  CHECK(page.find("grpc_code=\"NotFound\",grpc_method=\"Check\"") != std::string::npos);
  CHECK(page.find("grpc_server_handling_seconds_bucket") != std::string::npos);
}

TEST_CASE("a port in use is reported as UNAVAILABLE", "[unit]") {
  auto first = GrpcServer::Start("127.0.0.1:0", {});
  REQUIRE(first.ok());
  auto second = GrpcServer::Start("127.0.0.1:" + std::to_string((*first)->port()), {});
  CHECK(second.status().code() == absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace agora::runtime::grpc_server
