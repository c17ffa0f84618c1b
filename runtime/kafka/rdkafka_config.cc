#include "runtime/kafka/rdkafka_config.h"

#include "absl/strings/str_cat.h"

namespace agora::runtime::kafka {

std::map<std::string, std::string> CommonProperties(const KafkaOptions& options) {
  std::map<std::string, std::string> p = {
      {"bootstrap.servers", options.brokers},
      {"client.id", options.client_id},
      {"socket.timeout.ms", absl::StrCat(options.socket_timeout_ms)},
      {"log_level", "4"},
  };
  for (const auto& [k, v] : options.extra) p[k] = v;
  return p;
}

absl::StatusOr<std::unique_ptr<RdKafka::Conf>> BuildConf(
    const std::map<std::string, std::string>& properties) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  for (const auto& [k, v] : properties) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) {
      return absl::InvalidArgumentError(absl::StrCat("kafka option ", k, ": ", err));
    }
  }
  return conf;
}

}  // namespace agora::runtime::kafka
