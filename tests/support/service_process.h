#pragma once

// A service binary run as a child process on free ports, found ready by its
// "<name>_ready" log line (runtime/grpc/serve.h).

#include <memory>
#include <string>
#include <vector>

#include "tests/support/infra.h"
#include "tests/support/process.h"

namespace agora::testing {

class ServiceProcess final {
 public:
  // Starts `binary` connected to `db` with --grpc-address=127.0.0.1:0 and
  // --metrics-port=0 plus `extra_flags`, and waits until it is ready (fails
  // the test otherwise). The services that speak Kafka (inventory,
  // customers, orders, reviews, saga) also get the run's dev broker and a topic
  // prefix of their own, unless `extra_flags` name them (a system of
  // several processes passes one prefix to all: KafkaFlags).
  ServiceProcess(const std::string& binary, const std::string& name, const TestDatabase& db,
                 const std::vector<std::string>& extra_flags = {});

  int grpc_port() const { return grpc_port_; }
  int metrics_port() const { return metrics_port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(grpc_port_); }
  std::string Log() const;
  ChildProcess& process() { return *process_; }

 private:
  std::string log_file_;
  std::unique_ptr<ChildProcess> process_;
  int grpc_port_ = 0;
  int metrics_port_ = 0;
};

std::string ReadFile(const std::string& path);

// --kafka-brokers (the run's dev broker) and --kafka-topic-prefix=`prefix`.
std::vector<std::string> KafkaFlags(const std::string& prefix);

}  // namespace agora::testing
