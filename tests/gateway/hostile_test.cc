// Hostile input at the HTTP level, against the real gateway and services:
// bytes HTTP allows but gRPC refuses, hostile tokens, invented methods,
// readiness probes in bulk. After each attack the gateway still runs.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "runtime/ids/uuid.h"
#include "tests/gateway/system.h"
#include "tests/support/auth.h"

namespace agora::gateway {
namespace {

using agora::testing::HttpResult;
using agora::testing::System;
using json = nlohmann::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

const std::string kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

void RequireAlive(System& s) {
  REQUIRE(s.GatewayRunning());
  REQUIRE(s.Call("GET", "/healthz").status == 200);
}

void RequireHeaderError(const HttpResult& r, const std::string& header) {
  INFO(r.status << " " << r.body);
  REQUIRE(r.status == 400);
  const json b = json::parse(r.body);
  CHECK(b["code"] == 3);
  CHECK(b["message"].get<std::string>().find(header) != std::string::npos);
}

struct Path {
  std::string name;
  std::string method;
  std::string target;
  bool with_token;
  int ok_status;  // what a clean request answers
};

std::vector<Path> EveryPath(System& s, const std::string& token) {
  const std::string product = s.NewProduct(500, 3);
  return {{"unary, public", "GET", "/v1/products?pageSize=1", false, 200},
          {"unary, signed in", "GET", "/v1/customers/me", true, 200},
          {"fan-out", "GET", "/v1/products/" + product + "/details", false, 200},
          {"fan-out, signed in", "GET", "/v1/products/" + product + "/details", true, 200},
          // An order nobody has: the stream's backend answers 404 before any event.
          {"stream", "GET", "/v1/orders/" + runtime::ids::NewUuid() + ":watch", true, 404}};
  (void)token;
}

TEST_CASE("trace headers gRPC would refuse are dropped on every path, and the gateway lives", "[e2e]") {
  System& s = System::Get();
  const auto [id, token] = s.NewCustomer();
  for (const Path& p : EveryPath(s, token)) {
    for (const Headers& hostile : std::vector<Headers>{
             {{"traceparent", "a\tb"}},
             {{"traceparent", "00-\x80\x81"}},
             {{"traceparent", kTraceparent}, {"tracestate", "vendor=\x80\xff"}},
             {{"traceparent", kTraceparent}, {"tracestate", "a=\tb"}},
             {{"tracestate", "a=\x80"}},
             {{"x-request-id", "id\twith\ttabs"}}}) {
      INFO(p.name << ": " << hostile.back().first << ": " << hostile.back().second);
      const HttpResult r = s.Call(p.method, p.target, "", p.with_token ? token : "", hostile);
      CHECK(r.status == p.ok_status);
      CHECK_FALSE(r.Header("x-request-id").empty());
      CHECK(r.Header("x-request-id").find('\t') == std::string::npos);
      RequireAlive(s);
    }
  }
}

TEST_CASE("an Authorization or Idempotency-Key gRPC would refuse is a 400 naming it, on every path",
          "[e2e]") {
  System& s = System::Get();
  const auto [id, token] = s.NewCustomer();
  for (const Path& p : EveryPath(s, token)) {
    for (const std::string& auth : {std::string("x\ty"), std::string("Bearer \x80\x81"),
                                    "Bearer\t" + token}) {
      INFO(p.name << ": Authorization " << auth);
      RequireHeaderError(s.Call(p.method, p.target, "", "", {{"Authorization", auth}}), "Authorization");
      RequireAlive(s);
    }
  }
  const HttpResult r = s.Call("POST", "/v1/customers/me:topUp", R"({"amountCents":100})", token,
                              {{"Content-Type", "application/json"}, {"Idempotency-Key", "\xff\xfe"}});
  RequireHeaderError(r, "Idempotency-Key");
  RequireAlive(s);
}

TEST_CASE("a correctly signed token whose claims have the wrong types is 401, and the gateway lives",
          "[e2e]") {
  System& s = System::Get();
  const std::string product = s.NewProduct(500, 3);
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  const json header = {{"alg", "RS256"}, {"typ", "JWT"}, {"kid", agora::testing::TestKid()}};
  const json good = {{"iss", "agora"}, {"aud", "agora-api"}, {"sub", "c1"}, {"iat", now},
                     {"exp", now + 600}, {"jti", "j"}, {"roles", {"customer"}}};
  for (const auto& [claim, value] : std::vector<std::pair<std::string, json>>{
           {"iss", 5}, {"jti", json::object()}, {"sub", 7}, {"exp", "soon"}, {"exp", 1e300},
           {"roles", "admin"}, {"aud", json::array({1})}}) {
    json claims = good;
    claims[claim] = value;
    const std::string token = agora::testing::SignRaw(header.dump(), claims.dump());
    INFO(claims.dump());
    const HttpResult me = s.Call("GET", "/v1/customers/me", "", token);
    CHECK(me.status == 401);
    CHECK_FALSE(me.Header("www-authenticate").empty());
    RequireAlive(s);
    // Public routes treat it as no token at all.
    CHECK(s.Call("GET", "/v1/products?pageSize=1", "", token).status == 200);
    CHECK(s.Call("GET", "/v1/products/" + product + "/details", "", token).status == 200);
    RequireAlive(s);
  }
  // The same shapes in the header: kid and alg of the wrong type.
  for (const auto& [member, value] : std::vector<std::pair<std::string, json>>{{"kid", 5}, {"alg", json::array()}}) {
    json h = header;
    h[member] = value;
    CHECK(s.Call("GET", "/v1/customers/me", "", agora::testing::SignRaw(h.dump(), good.dump())).status == 401);
    RequireAlive(s);
  }
}

TEST_CASE("invented HTTP methods are counted as OTHER, never as labels of their own", "[e2e]") {
  System& s = System::Get();
  for (int i = 0; i < 20; ++i) {
    for (const std::string target : {"/v1/products", "/healthz", "/nowhere"}) {
      const HttpResult r = s.Call(absl::StrCat("XATTACK", i), target);
      CHECK((r.status == 405 || r.status == 404));
    }
  }
  RequireAlive(s);
  const HttpResult metrics = s.Call("GET", "/metrics");
  REQUIRE(metrics.status == 200);
  CHECK(metrics.body.find("XATTACK") == std::string::npos);
  CHECK(metrics.body.find("method=\"OTHER\"") != std::string::npos);
}

int ThreadsOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

TEST_CASE("readiness probes in bulk start no thread each and wait for one shared check", "[e2e]") {
  System& s = System::Get();
  // A backend that accepts TCP and never speaks: its health check takes the
  // whole deadline.
  const int blackhole = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(blackhole >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(blackhole, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(blackhole, 64) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(blackhole, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const int port = s.ExtraGateway({absl::StrCat("--saga-address=127.0.0.1:", ntohs(addr.sin_port))});
  const pid_t pid = s.GatewayPid(port);
  const int baseline = ThreadsOf(pid);
  REQUIRE(baseline > 0);

  constexpr int kProbes = 64;
  std::vector<HttpResult> answers(kProbes);
  std::atomic<int> done{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kProbes; ++i) {
    clients.emplace_back([&, i] {
      answers[i] = agora::testing::Http(port, "GET", "/readyz");
      done.fetch_add(1);
    });
  }
  int most = baseline;
  while (done.load() < kProbes) {
    most = std::max(most, ThreadsOf(pid));
    absl::SleepFor(absl::Milliseconds(5));
  }
  for (auto& c : clients) c.join();
  ::close(blackhole);
  INFO("threads: baseline " << baseline << ", most while probed " << most);
  // gRPC may start a few threads of its own for the new connection; one
  // thread per probe would add 64.
  CHECK(most <= baseline + 16);
  for (const HttpResult& r : answers) {
    INFO(r.body);
    CHECK(r.status == 503);
    CHECK(r.body.find("agora.saga.v1.Sagas") != std::string::npos);
  }
  REQUIRE(s.GatewayRunning(port));
  std::string log;
  s.StopGateway(port, &log);
}

}  // namespace
}  // namespace agora::gateway
