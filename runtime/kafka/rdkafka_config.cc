#include "runtime/kafka/rdkafka_config.h"

#include "absl/strings/str_cat.h"
#include "runtime/log/log.h"

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

namespace {

// librdkafka's own log lines, as JSON lines of ours (never its "%3|..."
// lines on stderr): event kafka_client with its level, facility and text.
class LogEvents final : public RdKafka::EventCb {
 public:
  void event_cb(RdKafka::Event& event) override {
    switch (event.type()) {
      case RdKafka::Event::EVENT_LOG:
        Log(event.severity(), {{"facility", event.fac()}, {"message", event.str()}});
        break;
      case RdKafka::Event::EVENT_ERROR:
        Log(event.fatal() ? RdKafka::Event::EVENT_SEVERITY_CRITICAL : RdKafka::Event::EVENT_SEVERITY_WARNING,
            {{"error", RdKafka::err2str(event.err())}, {"message", event.str()}});
        break;
      default:
        break;
    }
  }

 private:
  static void Log(RdKafka::Event::Severity severity, std::initializer_list<log::Field> fields) {
    if (severity <= RdKafka::Event::EVENT_SEVERITY_ERROR) {
      log::Error("kafka_client", fields);
    } else if (severity <= RdKafka::Event::EVENT_SEVERITY_WARNING) {
      log::Warn("kafka_client", fields);
    } else {
      log::Info("kafka_client", fields);
    }
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<RdKafka::Conf>> BuildConf(
    const std::map<std::string, std::string>& properties) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  for (const auto& [k, v] : properties) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) {
      return absl::InvalidArgumentError(absl::StrCat("kafka option ", k, ": ", err));
    }
  }
  static LogEvents* const events = new LogEvents();  // stateless, shared, never freed
  if (conf->set("event_cb", static_cast<RdKafka::EventCb*>(events), err) != RdKafka::Conf::CONF_OK) {
    return absl::InternalError(absl::StrCat("kafka event_cb: ", err));
  }
  return conf;
}

}  // namespace agora::runtime::kafka
