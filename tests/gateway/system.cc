#include "tests/gateway/system.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <regex>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "runtime/ids/uuid.h"
#include "tests/support/auth.h"

namespace agora::testing {
namespace {

using json = nlohmann::json;

// A port free now (the kernel's choice for a socket bound to port 0): for a
// process whose address another must know before it starts.
int PickFreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  REQUIRE(ok);
  return ntohs(addr.sin_port);
}

struct Spec {
  const char* name;
  const char* binary;
};

}  // namespace

System& System::Get() {
  // A static object, not a leaked pointer: its destructor at exit stops the
  // processes (ChildProcess kills what is still running), so a test run
  // leaves nothing behind.
  static System system;
  return system;
}

System::System() {
  const std::string pub = "--jwt-public-key-file=" + TestPublicKeyFile();
  // One topic prefix for the system: its services talk to each other, and
  // to no other system on the run's broker.
  const std::vector<std::string> kafka = agora::testing::KafkaFlags(UniqueName("sys") + ".");
  auto start = [&](const char* name, const char* binary, std::vector<std::string> flags) {
    flags.insert(flags.end(), kafka.begin(), kafka.end());
    dbs_.push_back(std::make_unique<TestDatabase>(name));
    db_by_service_[name] = dbs_.back().get();
    services_.push_back(std::make_unique<ServiceProcess>(binary, name, *dbs_.back(), flags));
    addresses_[name] = services_.back()->address();
    return services_.back()->address();
  };
  // Signed-out sessions are polled often: the logout test waits for them.
  const std::string poll = "--revocation-poll-interval=200ms";
  // Customers asks inventory about products put into carts; inventory
  // starts after it (it verifies customers' signed-out sessions).
  const std::string inventory_address = "127.0.0.1:" + std::to_string(PickFreePort());
  const std::string customers = start("customers", AGORA_CUSTOMERS_BINARY,
                                      {poll, "--inventory-address=" + inventory_address,
                                       "--jwt-private-key-file=" + TestPrivateKeyFile(),
                                       "--jwt-generate-key=false", "--admin-email=admin@agora.test",
                                       "--admin-password=admin-password", "--demo-payments=true",
                                       // Every test's client is 127.0.0.1: only the per-account throttle is tested here,
                                       // below the local run's 1000 to keep that test short (a burst of 100 stays under it).
                                       "--login-max-failures-per-ip=100000", "--login-max-failures=150", "--argon2-ops=1",
                                       "--argon2-memory-kib=8192"});
  const std::string to_customers = "--customers-address=" + customers;
  const std::string inventory =
      start("inventory", AGORA_INVENTORY_BINARY, {pub, poll, to_customers, "--grpc-address=" + inventory_address});
  REQUIRE(inventory == inventory_address);
  const std::string orders = start("orders", AGORA_ORDERS_BINARY,
                                   {pub, poll, "--inventory-address=" + inventory, to_customers});
  const std::string reviews = start("reviews", AGORA_REVIEWS_BINARY,
                                    {pub, poll, to_customers, "--orders-address=" + orders,
                                     "--consumer-group=" + UniqueName("reviews")});
  saga_flags_ = {pub, poll, to_customers, "--orders-address=" + orders, "--saga-group=" + UniqueName("saga")};
  const std::string saga = start("saga", AGORA_SAGA_BINARY, saga_flags_);
  saga_flags_.insert(saga_flags_.end(), kafka.begin(), kafka.end());
  coordinators_.push_back(services_.back().get());
  gateway_flags_ = {pub,
                    poll,
                    "--http-address=127.0.0.1",
                    "--http-port=0",
                    "--inventory-address=" + inventory,
                    "--customers-address=" + customers,
                    "--orders-address=" + orders,
                    "--reviews-address=" + reviews,
                    "--saga-address=" + saga,
                    "--rate-limit-client-rps=0",
                    "--rate-limit-customer-rps=0"};
  gateways_.emplace_back();
  http_port_ = StartGateway(gateway_flags_, &gateways_.back());
  const HttpResult login = Call("POST", "/v1/auth:login",
                                R"({"email":"admin@agora.test","password":"admin-password"})");
  INFO(login.body);
  REQUIRE(login.status == 200);
  admin_token_ = json::parse(login.body)["accessToken"];
  // One order through the saga first: every consumer group has joined (a
  // few seconds on the dev broker), so no test waits for that.
  const auto [warm_id, warm_token] = NewCustomer();
  const HttpResult warm = Call("POST", "/v1/orders",
                               json{{"items", {{{"productId", NewProduct(1, 1)}, {"quantity", 1}}}}}.dump(), warm_token);
  REQUIRE(warm.status == 202);
  WaitForOrder(warm_token, json::parse(warm.body)["id"], [](const std::string& st) { return st != "PENDING"; });
}

int System::StartGateway(const std::vector<std::string>& flags, std::unique_ptr<ChildProcess>* out,
                         std::string* log_file) {
  const std::string log = GetInfra().dir + "/" + UniqueName("gateway") + ".log";
  if (log_file != nullptr) *log_file = log;
  *out = std::make_unique<ChildProcess>(AGORA_GATEWAY_BINARY, flags, log);
  const std::regex ready("\"event\":\"gateway_ready\",\"http_port\":(\\d+)");
  std::smatch m;
  std::string text;
  REQUIRE(Eventually([&] {
    text = ReadFile(log);
    return std::regex_search(text, m, ready) || !(*out)->Running();
  }));
  INFO(text);
  REQUIRE(std::regex_search(text, m, ready));
  return std::stoi(m[1]);
}

int System::ExtraGateway(const std::vector<std::string>& flags) {
  std::vector<std::string> all = gateway_flags_;
  all.insert(all.end(), flags.begin(), flags.end());
  gateways_.emplace_back();
  std::string log;
  const int port = StartGateway(all, &gateways_.back(), &log);
  by_port_[port] = {gateways_.back().get(), log};
  return port;
}

bool System::GatewayRunning(int port) {
  return port == 0 ? gateways_.front()->Running() : by_port_.at(port).first->Running();
}

pid_t System::GatewayPid(int port) {
  return port == 0 ? gateways_.front()->pid() : by_port_.at(port).first->pid();
}

int System::StopGateway(int port, std::string* log) {
  auto& [process, file] = by_port_.at(port);
  process->Signal(SIGTERM);
  const int status = process->Wait();
  *log = ReadFile(file);
  return status;
}

int System::StartCoordinator() {
  extra_coordinators_.push_back(
      std::make_unique<ServiceProcess>(AGORA_SAGA_BINARY, "saga", *db_by_service_.at("saga"), saga_flags_));
  coordinators_.push_back(extra_coordinators_.back().get());
  return static_cast<int>(coordinators_.size()) - 1;
}

std::vector<int> System::RunningCoordinators() {
  std::vector<int> out;
  for (size_t i = 0; i < coordinators_.size(); ++i) {
    if (coordinators_[i]->process().Running()) out.push_back(static_cast<int>(i));
  }
  return out;
}

std::string System::Query(const std::string& service, const std::string& sql) const {
  return db_by_service_.at(service)->QueryAsSuper(sql);
}

HttpResult System::Call(const std::string& method, const std::string& target, const std::string& body,
                        const std::string& token,
                        std::vector<std::pair<std::string, std::string>> headers) const {
  if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
  return Http(http_port_, method, target, headers, body);
}

std::pair<std::string, std::string> System::NewCustomer() {
  const std::string email = absl::StrCat(UniqueName("c"), "@example.com");
  const HttpResult reg = Call("POST", "/v1/auth:register",
                              json{{"email", email}, {"password", "password123"}, {"displayName", "Cus"}}.dump());
  INFO(reg.body);
  REQUIRE(reg.status == 201);
  const HttpResult login =
      Call("POST", "/v1/auth:login", json{{"email", email}, {"password", "password123"}}.dump());
  REQUIRE(login.status == 200);
  return {json::parse(reg.body)["id"], json::parse(login.body)["accessToken"]};
}

json System::WaitForOrder(const std::string& token, const std::string& order_id,
                          const std::function<bool(const std::string&)>& done) {
  json order;
  const bool ended = Eventually(
      [&] {
        const HttpResult r = Call("GET", "/v1/orders/" + order_id, "", token);
        if (r.status != 200) return false;
        order = json::parse(r.body);
        return done(order["status"].get<std::string>());
      },
      30);
  INFO(order.dump());
  REQUIRE(ended);
  return order;
}

json System::WaitForStatus(const std::string& token, const std::string& order_id, const std::string& status) {
  return WaitForOrder(token, order_id, [&](const std::string& s) { return s == status; });
}

std::string System::NewProduct(int64_t price_cents, int64_t stock) {
  const HttpResult r = Call("POST", "/v1/products",
                            json{{"sku", UniqueName("SKU")}, {"name", "Test mug"}, {"description", "x"},
                                 {"priceCents", price_cents}, {"stock", stock}}.dump(),
                            admin_token_);
  INFO(r.body);
  REQUIRE(r.status == 201);
  return json::parse(r.body)["id"];
}

}  // namespace agora::testing
