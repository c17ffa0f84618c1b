// An outbox relay alone in a process, for the crash tests of outbox_test.cc.
// With --crash-after-batches=N it dies (_exit) right after the broker
// acknowledged its N-th batch and before the rows are deleted: the worst
// moment for a relay to be killed.

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>

#include "runtime/config/config.h"
#include "runtime/kafka/producer.h"
#include "runtime/log/log.h"
#include "runtime/messaging/relay.h"
#include "runtime/pg/options_from_config.h"

int main(int argc, char** argv) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  namespace rt = agora::runtime;
  rt::config::Reader r(argc, argv);
  rt::pg::PgConfig pg;
  rt::pg::ReadPgConfig(r, "inventory", &pg);
  rt::kafka::KafkaOptions kafka;
  r.String("AGORA_KAFKA_BROKERS", "", &kafka.brokers, "brokers");
  int batch_size = 0;
  int crash_after = 0;
  r.Int("AGORA_BATCH_SIZE", 100, 1, 10000, &batch_size, "relay batch size");
  r.Int("AGORA_CRASH_AFTER_BATCHES", 0, 0, 1000, &crash_after, "die after this many batches");
  if (absl::Status s = r.Finish(); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 2;
  }
  rt::log::Init("outbox_relay_child", rt::log::Level::kInfo);
  auto producer = rt::kafka::NewProducer(kafka);
  if (!producer.ok()) return 2;
  rt::pg::Pool pool(pg.connection, 2);
  std::atomic<int> batches{0};
  rt::messaging::RelayOptions options;
  options.batch_size = batch_size;
  options.poll_interval = absl::Milliseconds(200);
  options.after_send = [&](int acknowledged) {
    if (crash_after > 0 && acknowledged > 0 && ++batches >= crash_after) {
      rt::log::Info("relay_child_crashing", {{"acknowledged", acknowledged}});
      _exit(9);
    }
  };
  rt::messaging::OutboxRelay relay(pool, **producer, options);
  relay.Start();
  int sig = 0;
  sigwait(&set, &sig);
  relay.Stop();
  return 0;
}
