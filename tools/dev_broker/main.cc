// The dev Kafka broker: librdkafka's mock cluster (the real Kafka protocol
// over TCP, in memory) in its own process, for local runs and tests where no
// Kafka server exists. Production points AGORA_KAFKA_BROKERS at a real cluster.
//
//   dev_broker [--brokers=3] [--partitions=4] [--bootstrap-file=PATH] [--topics=a,b]
//
// Creates the topics of DESIGN.md (and their .dlq twins), writes the bootstrap
// servers to --bootstrap-file once up, and runs until SIGTERM or SIGINT.
// Faults for ./agora chaos: SIGUSR1 takes the next broker down (1, 2, 3, 1,
// ...: its connections close and it refuses new ones), SIGUSR2 brings every
// broker back up; each logs a line.
// The mock keeps only the last ~5 MiB per partition (see DESIGN.md).

#include <librdkafka/rdkafka.h>
// rdkafka_mock.h must follow rdkafka.h.
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "runtime/config/config.h"

namespace {

const std::vector<std::string> kTopics = {
    "agora.orders.events",
    "agora.saga.commands.inventory",
    "agora.saga.commands.customers",
    "agora.saga.commands.orders",
    "agora.saga.replies",
};

}  // namespace

int main(int argc, char** argv) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);
  sigaddset(&signals, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before librdkafka starts threads
  agora::runtime::config::Reader r(argc, argv);
  int brokers = 3;
  int partitions = 4;
  std::string bootstrap_file;
  std::string extra_topics;
  r.Int("AGORA_BROKERS", 3, 1, 9, &brokers, "brokers in the mock cluster");
  r.Int("AGORA_PARTITIONS", 4, 1, 64, &partitions, "partitions per topic");
  r.String("AGORA_BOOTSTRAP_FILE", "", &bootstrap_file, "file to write the bootstrap servers to");
  r.String("AGORA_TOPICS", "", &extra_topics, "further topics to create, comma-separated");
  if (absl::Status s = r.Finish(); !s.ok()) {
    const bool help = s.code() == absl::StatusCode::kCancelled;
    std::fprintf(help ? stdout : stderr, "dev_broker: %s\n", std::string(s.message()).c_str());
    return help ? 0 : 2;
  }

  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
  // The mock brokers' sockets take their options from this handle: without
  // TCP_NODELAY a response written right after another waits for the
  // client's delayed ACK (40 ms on Linux), and a produce to a few partitions
  // at once took 44 ms instead of 1.5 ms.
  rd_kafka_conf_set(conf, "socket.nagle.disable", "true", errstr, sizeof errstr);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (rk == nullptr) {
    std::fprintf(stderr, "dev_broker: rd_kafka_new: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(rk, brokers);
  if (cluster == nullptr) {
    std::fprintf(stderr, "dev_broker: cannot start the mock cluster\n");
    return 1;
  }
  std::vector<std::string> topics;
  for (const std::string& t : kTopics) {
    topics.push_back(t);
    topics.push_back(t + ".dlq");
  }
  for (absl::string_view t : absl::StrSplit(extra_topics, ',', absl::SkipEmpty())) {
    topics.emplace_back(t);
  }
  for (const std::string& t : topics) {
    const int replication = brokers < 3 ? brokers : 3;
    if (rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(cluster, t.c_str(), partitions, replication)) {
      std::fprintf(stderr, "dev_broker: topic %s: %s\n", t.c_str(), rd_kafka_err2str(err));
      return 1;
    }
  }
  const std::string bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
  std::printf("{\"event\":\"dev_broker_ready\",\"bootstrap\":\"%s\",\"brokers\":%d,\"topics\":%zu}\n",
              bootstrap.c_str(), brokers, topics.size());
  std::fflush(stdout);
  if (!bootstrap_file.empty()) {
    const std::string tmp = bootstrap_file + ".tmp";
    std::ofstream(tmp) << bootstrap << "\n";
    if (std::rename(tmp.c_str(), bootstrap_file.c_str()) != 0) {
      std::perror(bootstrap_file.c_str());
      return 1;
    }
  }
  int sig = 0;
  int next_down = 1;  // mock broker ids are 1..brokers
  for (;;) {
    sigwait(&signals, &sig);
    if (sig == SIGUSR1) {
      rd_kafka_mock_broker_set_down(cluster, next_down);
      std::printf("{\"event\":\"dev_broker_down\",\"broker\":%d}\n", next_down);
      next_down = next_down % brokers + 1;
    } else if (sig == SIGUSR2) {
      for (int b = 1; b <= brokers; ++b) rd_kafka_mock_broker_set_up(cluster, b);
      std::printf("{\"event\":\"dev_broker_up\",\"brokers\":%d}\n", brokers);
    } else {
      break;
    }
    std::fflush(stdout);
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(rk);
  if (!bootstrap_file.empty()) std::remove(bootstrap_file.c_str());
  return 0;
}
