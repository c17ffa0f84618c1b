#pragma once

// The whole system as processes, for HTTP-level tests: customers,
// inventory, orders, reviews and the saga (placeholder) each on its own
// database, and the gateway in front, configured like a local run.
// Started once per test binary (Get()).

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/support/http.h"
#include "tests/support/infra.h"
#include "tests/support/process.h"
#include "tests/support/service_process.h"

namespace agora::testing {

class System {
 public:
  static System& Get();

  int http_port() const { return http_port_; }
  const std::string& admin_token() const { return admin_token_; }

  // HTTP to the gateway; `token` (if any) goes in Authorization.
  HttpResult Call(const std::string& method, const std::string& target, const std::string& body = "",
                  const std::string& token = "",
                  std::vector<std::pair<std::string, std::string>> headers = {}) const;

  // A new customer: registers, logs in; returns {id, access token}.
  std::pair<std::string, std::string> NewCustomer();
  // A product created by the administrator; returns its id.
  std::string NewProduct(int64_t price_cents, int64_t stock);
  // Polls GET /v1/orders/{id} (as `token`) until `done(status)` holds (the
  // saga runs for real: orders end APPROVED or REJECTED); fails the test
  // after 30 s. Returns the order.
  nlohmann::json WaitForOrder(const std::string& token, const std::string& order_id,
                              const std::function<bool(const std::string&)>& done);
  nlohmann::json WaitForStatus(const std::string& token, const std::string& order_id, const std::string& status);

  // The gRPC address of a backend ("customers", "inventory", "orders", ...),
  // for tests that play the saga's part through the internal methods.
  const std::string& address(const std::string& service) const { return addresses_.at(service); }

  // Starts a second gateway in front of the same backends with extra flags
  // (e.g. a tiny rate limit); returns its HTTP port.
  int ExtraGateway(const std::vector<std::string>& flags);
  // The gateway process on `port` (the main one when 0) still runs.
  bool GatewayRunning(int port = 0);
  // Its pid.
  pid_t GatewayPid(int port = 0);

  // SIGTERMs the extra gateway on `port`; returns its wait status and log.
  int StopGateway(int port, std::string* log);

  // The saga coordinators. The system starts one (index 0, the one the
  // gateway calls for the Sagas API); StartCoordinator adds another in the
  // same consumer group on the same database and returns its index.
  int StartCoordinator();
  ServiceProcess& Coordinator(int index) { return *coordinators_.at(static_cast<size_t>(index)); }
  // The indexes of the coordinators still running (tests kill some).
  std::vector<int> RunningCoordinators();
  // A query as the superuser on a service's database ("orders", "saga", ...).
  std::string Query(const std::string& service, const std::string& sql) const;

 private:
  System();
  int StartGateway(const std::vector<std::string>& flags, std::unique_ptr<ChildProcess>* out,
                   std::string* log_file = nullptr);

  std::vector<std::unique_ptr<TestDatabase>> dbs_;
  std::vector<std::unique_ptr<ServiceProcess>> services_;
  std::vector<std::unique_ptr<ChildProcess>> gateways_;
  std::map<int, std::pair<ChildProcess*, std::string>> by_port_;  // port -> process, log
  std::vector<std::string> gateway_flags_;
  std::map<std::string, std::string> addresses_;
  std::map<std::string, TestDatabase*> db_by_service_;
  std::vector<std::string> saga_flags_;
  std::vector<std::unique_ptr<ServiceProcess>> extra_coordinators_;
  std::vector<ServiceProcess*> coordinators_;
  int http_port_ = 0;
  std::string admin_token_;
  int customers_made_ = 0;
};

}  // namespace agora::testing
