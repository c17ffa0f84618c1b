#include "tests/support/service_process.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "tests/support/auth.h"

namespace agora::testing {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ServiceProcess::ServiceProcess(const std::string& binary, const std::string& name,
                               const TestDatabase& db, const std::vector<std::string>& extra_flags)
    : log_file_(GetInfra().dir + "/" + UniqueName(name) + ".log") {
  const auto o = db.ServiceOptions();
  std::vector<std::string> flags = {"--grpc-address=127.0.0.1:0", "--metrics-address=127.0.0.1",
                                    "--metrics-port=0", absl::StrCat("--pg-port=", o.port),
                                    absl::StrCat("--pg-database=", o.dbname), "--drain-timeout=2s"};
  flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
  if (name == "inventory" || name == "customers" || name == "orders" || name == "reviews" || name == "saga") {
    auto named = [&](const std::string& flag) {
      for (const std::string& f : extra_flags) {
        if (f.rfind(flag + "=", 0) == 0) return true;
      }
      return false;
    };
    // The services' key: its INTERNAL methods verify with it, its calls sign with it.
    if (!named("--service-key-file")) flags.push_back("--service-key-file=" + TestServiceKeyFile());
    const std::vector<std::string> kafka = KafkaFlags(UniqueName("p") + ".");
    if (!named("--kafka-brokers")) flags.push_back(kafka[0]);
    if (!named("--kafka-topic-prefix")) flags.push_back(kafka[1]);
  }
  process_ = std::make_unique<ChildProcess>(binary, flags, log_file_);
  const std::regex ready("\"event\":\"" + name + "_ready\",\"grpc_port\":(\\d+),\"metrics_port\":(\\d+)");
  std::smatch m;
  std::string text;
  const bool up = Eventually([&] {
    text = ReadFile(log_file_);
    return std::regex_search(text, m, ready) || !process_->Running();
  });
  INFO(text);
  REQUIRE(up);
  REQUIRE(std::regex_search(text, m, ready));
  grpc_port_ = std::stoi(m[1]);
  metrics_port_ = std::stoi(m[2]);
}

std::vector<std::string> KafkaFlags(const std::string& prefix) {
  return {"--kafka-brokers=" + GetInfra().kafka_brokers, "--kafka-topic-prefix=" + prefix};
}

std::string ServiceProcess::Log() const { return ReadFile(log_file_); }

}  // namespace agora::testing
