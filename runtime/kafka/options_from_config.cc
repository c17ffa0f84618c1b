#include "runtime/kafka/options_from_config.h"

#include <string>
#include <utility>

namespace agora::runtime::kafka {

void ReadKafkaOptions(config::Reader& r, const std::string& client_id, KafkaOptions* out) {
  r.String("AGORA_KAFKA_BROKERS", "127.0.0.1:9092", &out->brokers,
           "bootstrap servers, host:port,host:port");
  r.String("AGORA_KAFKA_CLIENT_ID", client_id, &out->client_id, "client.id sent to the brokers");
  r.Int("AGORA_KAFKA_LINGER_MS", 1, 0, 1000, &out->linger_ms, "producer linger.ms");
  r.Int("AGORA_KAFKA_FETCH_WAIT_MAX_MS", 5, 1, 10000, &out->fetch_wait_max_ms,
        "consumer fetch.wait.max.ms (the dev broker answers an empty fetch only after it)");
  r.Int("AGORA_KAFKA_SESSION_TIMEOUT_MS", 6000, 1000, 300000, &out->session_timeout_ms,
        "consumer group session.timeout.ms");
  r.Int("AGORA_KAFKA_HEARTBEAT_INTERVAL_MS", 1000, 100, 60000, &out->heartbeat_interval_ms,
        "consumer group heartbeat.interval.ms");
  r.Int("AGORA_KAFKA_SOCKET_TIMEOUT_MS", 10000, 100, 300000, &out->socket_timeout_ms,
        "socket.timeout.ms (keep it above the session timeout: see runtime/kafka/options.h)");
  r.Int("AGORA_KAFKA_MESSAGE_TIMEOUT_MS", 30000, 1000, 900000, &out->message_timeout_ms,
        "producer message.timeout.ms: how long a message may wait for its acknowledgement");
  r.Int("AGORA_KAFKA_CONSUMER_BATCH_SIZE", 64, 1, 10000, &out->consumer_batch_size,
        "consumers: messages of a partition handled in one database transaction");
  r.Int("AGORA_KAFKA_CONSUMER_THREADS", 4, 1, 64, &out->consumer_threads,
        "consumers: partitions handled at once, each on its own database connection");
  r.Bool("AGORA_KAFKA_MERGE_PARTITIONS", true, &out->merge_partitions,
         "consumers: every partition's messages of a poll round in one handler call (one transaction)");
  r.Int("AGORA_KAFKA_MAX_POLL_INTERVAL_MS", 300000, 10000, 86400000, &out->max_poll_interval_ms,
        "consumer max.poll.interval.ms: the longest a batch may take before the group moves "
        "its partitions");
  // Security of a production cluster, passed to librdkafka as they are (its
  // own names in the help). Empty: not set.
  std::string protocol;
  r.Choice("AGORA_KAFKA_SECURITY_PROTOCOL", "plaintext", {"plaintext", "ssl", "sasl_plaintext", "sasl_ssl"},
           &protocol, "security.protocol");
  if (protocol != "plaintext") out->extra["security.protocol"] = protocol;
  const std::pair<const char*, const char*> kPassed[] = {
      {"AGORA_KAFKA_SSL_CA_LOCATION", "ssl.ca.location"},
      {"AGORA_KAFKA_SSL_CERTIFICATE_LOCATION", "ssl.certificate.location"},
      {"AGORA_KAFKA_SSL_KEY_LOCATION", "ssl.key.location"},
      {"AGORA_KAFKA_SSL_KEY_PASSWORD", "ssl.key.password"},
      {"AGORA_KAFKA_SSL_ENDPOINT_IDENTIFICATION", "ssl.endpoint.identification.algorithm"},
      {"AGORA_KAFKA_SASL_MECHANISM", "sasl.mechanisms"},
      {"AGORA_KAFKA_SASL_USERNAME", "sasl.username"},
      {"AGORA_KAFKA_SASL_PASSWORD", "sasl.password"},
  };
  for (const auto& [variable, property] : kPassed) {
    std::string value;
    r.String(variable, "", &value, property);
    if (!value.empty()) out->extra[property] = value;
  }
}

}  // namespace agora::runtime::kafka
