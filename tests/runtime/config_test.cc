#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "runtime/config/config.h"
#include "runtime/kafka/options_from_config.h"
#include "runtime/kafka/rdkafka_config.h"
#include "runtime/messaging/participant.h"
#include "runtime/pg/options_from_config.h"

namespace agora::runtime::config {
namespace {

TEST_CASE("a flag overrides the environment and both spellings of a flag work", "[unit]") {
  Reader r({{"AGORA_PG_HOST", "env-host"}, {"AGORA_PG_PORT", "6000"}},
           {"--pg-host=flag-host", "--AGORA_GRPC_ADDRESS=127.0.0.1:1"});
  std::string host, address;
  int port = 0;
  r.String("AGORA_PG_HOST", "default", &host, "");
  r.Int("AGORA_PG_PORT", 5432, 1, 65535, &port, "");
  r.String("AGORA_GRPC_ADDRESS", "0.0.0.0:50061", &address, "");
  REQUIRE(r.Finish().ok());
  CHECK(host == "flag-host");
  CHECK(port == 6000);
  CHECK(address == "127.0.0.1:1");
}

TEST_CASE("defaults apply when nothing is set", "[unit]") {
  Reader r({}, {});
  std::string host;
  absl::Duration d;
  bool b = true;
  r.String("AGORA_PG_HOST", "127.0.0.1", &host, "");
  r.Duration("AGORA_DRAIN_TIMEOUT", absl::Seconds(10), absl::ZeroDuration(), absl::Minutes(5), &d, "");
  r.Bool("AGORA_X", false, &b, "");
  REQUIRE(r.Finish().ok());
  CHECK(host == "127.0.0.1");
  CHECK(d == absl::Seconds(10));
  CHECK_FALSE(b);
}

TEST_CASE("every bad value and unknown flag is reported at once, by name", "[unit]") {
  Reader r({{"AGORA_PG_PORT", "70000"}, {"AGORA_DRAIN_TIMEOUT", "soon"}},
           {"--no-such-flag=1", "--log-level=loud"});
  int port = 0;
  absl::Duration d;
  std::string level;
  r.Int("AGORA_PG_PORT", 5432, 1, 65535, &port, "PostgreSQL port");
  r.Duration("AGORA_DRAIN_TIMEOUT", absl::Seconds(10), absl::ZeroDuration(), absl::Minutes(5), &d, "");
  r.Choice("AGORA_LOG_LEVEL", "info", {"debug", "info"}, &level, "");
  const absl::Status s = r.Finish();
  REQUIRE(s.code() == absl::StatusCode::kInvalidArgument);
  const std::string m(s.message());
  CHECK(m.find("AGORA_PG_PORT='70000'") != std::string::npos);
  CHECK(m.find("AGORA_DRAIN_TIMEOUT='soon'") != std::string::npos);
  CHECK(m.find("AGORA_NO_SUCH_FLAG") != std::string::npos);
  CHECK(m.find("AGORA_LOG_LEVEL='loud'") != std::string::npos);
  CHECK(port == 5432);  // a bad value leaves the default
}

TEST_CASE("a required value that is missing is an error", "[unit]") {
  Reader r({}, {});
  std::string key;
  r.RequiredString("AGORA_JWT_KEY_FILE", "", &key, "signing key");
  CHECK(r.Finish().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("--help answers the usage text as CANCELLED", "[unit]") {
  Reader r({}, {"--help"});
  std::string host;
  r.String("AGORA_PG_HOST", "127.0.0.1", &host, "PostgreSQL host");
  const absl::Status s = r.Finish();
  REQUIRE(s.code() == absl::StatusCode::kCancelled);
  CHECK(std::string(s.message()).find("--pg-host / AGORA_PG_HOST") != std::string::npos);
}

TEST_CASE("flags without a value or not starting with -- are refused", "[unit]") {
  Reader r({}, {"--pg-host", "stray"});
  std::string host;
  r.String("AGORA_PG_HOST", "x", &host, "");
  CHECK(r.Finish().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("database settings default to the service's own role and schema", "[unit]") {
  Reader r({{"AGORA_PG_PORT", "15432"}}, {"--pg-pool-size=4"});
  pg::PgConfig pg;
  pg::ReadPgConfig(r, "inventory", &pg);
  REQUIRE(r.Finish().ok());
  CHECK(pg.connection.port == 15432);
  CHECK(pg.connection.user == "inventory");
  CHECK(pg.connection.schema == "inventory");
  CHECK(pg.pool_size == 4);
  // The connection string quotes every value: a password cannot inject options.
  pg.connection.password = "p' host='evil";
  CHECK(pg.connection.ToConnectionString().find("password='p\\' host=\\'evil'") != std::string::npos);
}

TEST_CASE("Kafka settings are read from AGORA_KAFKA_* and checked", "[unit]") {
  Reader r({{"AGORA_KAFKA_BROKERS", "k1:9092,k2:9092"}, {"AGORA_KAFKA_FETCH_WAIT_MAX_MS", "0"}}, {});
  kafka::KafkaOptions o;
  kafka::ReadKafkaOptions(r, "saga", &o);
  const absl::Status s = r.Finish();
  CHECK(o.brokers == "k1:9092,k2:9092");
  CHECK(o.client_id == "saga");
  CHECK(std::string(s.message()).find("AGORA_KAFKA_FETCH_WAIT_MAX_MS='0'") != std::string::npos);
}

TEST_CASE("Kafka security settings pass through to librdkafka, which accepts them", "[unit]") {
  Reader r({{"AGORA_KAFKA_SECURITY_PROTOCOL", "sasl_ssl"},
            {"AGORA_KAFKA_SSL_CA_LOCATION", "/etc/agora/kafka-ca.pem"},
            {"AGORA_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"},
            {"AGORA_KAFKA_SASL_USERNAME", "orders"},
            {"AGORA_KAFKA_SASL_PASSWORD", "s3cret"}},
           {});
  kafka::KafkaOptions o;
  kafka::ReadKafkaOptions(r, "orders", &o);
  REQUIRE(r.Finish().ok());
  CHECK(o.extra == std::map<std::string, std::string>{{"security.protocol", "sasl_ssl"},
                                                      {"ssl.ca.location", "/etc/agora/kafka-ca.pem"},
                                                      {"sasl.mechanisms", "SCRAM-SHA-512"},
                                                      {"sasl.username", "orders"},
                                                      {"sasl.password", "s3cret"}});
  // Every name is one librdkafka knows (a typo would be refused here).
  const auto props = kafka::CommonProperties(o);
  CHECK(props.at("security.protocol") == "sasl_ssl");
  CHECK(kafka::BuildConf(props).ok());

  // Nothing set: plaintext, nothing passed.
  Reader plain({}, {});
  kafka::KafkaOptions p;
  kafka::ReadKafkaOptions(plain, "orders", &p);
  REQUIRE(plain.Finish().ok());
  CHECK(p.extra.empty());
  // A protocol librdkafka does not have is refused with its name.
  Reader bad({{"AGORA_KAFKA_SECURITY_PROTOCOL", "tls"}}, {});
  kafka::KafkaOptions b;
  kafka::ReadKafkaOptions(bad, "orders", &b);
  CHECK(std::string(bad.Finish().message()).find("AGORA_KAFKA_SECURITY_PROTOCOL") != std::string::npos);
}

TEST_CASE("a participant's command group defaults to the topic prefix and its name", "[unit]") {
  // Systems sharing a cluster (test systems on the one dev broker, staging
  // beside production) must not share a group: each would stall at the
  // other's joins and crashes.
  {
    Reader r({{"AGORA_KAFKA_TOPIC_PREFIX", "staging."}}, {});
    messaging::MessagingConfig c;
    messaging::ReadMessagingConfig(r, "inventory", &c);
    REQUIRE(r.Finish().ok());
    CHECK(c.topics.Commands("inventory") == "staging.agora.saga.commands.inventory");
    CHECK(c.command_group == "staging.inventory");
  }
  {
    Reader r({}, {});
    messaging::MessagingConfig c;
    messaging::ReadMessagingConfig(r, "customers", &c);
    REQUIRE(r.Finish().ok());
    CHECK(c.command_group == "customers");
  }
  {
    Reader r({{"AGORA_KAFKA_TOPIC_PREFIX", "staging."}, {"AGORA_SAGA_COMMAND_GROUP", "legacy-orders"}}, {});
    messaging::MessagingConfig c;
    messaging::ReadMessagingConfig(r, "orders", &c);
    REQUIRE(r.Finish().ok());
    CHECK(c.command_group == "legacy-orders");
  }
}

}  // namespace
}  // namespace agora::runtime::config
