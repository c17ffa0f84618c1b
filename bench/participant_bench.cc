// Saga participants under load, through Kafka: sends N commands to one
// participant's command topic at once and measures how long the running
// service takes to answer them all on the replies topic, and how many
// PostgreSQL commits the database made per command meanwhile.
//
//   participant_bench --pg-port=P --kafka-brokers=B --topic-prefix=X
//                     --participant=inventory|customers|orders --commands=N
//
// Seeds what the commands need (products with ample stock, customers with
// ample balance, PENDING orders) as the superuser, then prints one line:
//   participant=inventory commands=N seconds=S commands_per_s=C commits=K commits_per_command=R
// Written by hand: no Debian package drives Kafka and PostgreSQL together.

#include <pqxx/pqxx>

#include <atomic>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "agora/saga/v1/messages.pb.h"
#include "bench/pg_stats.h"
#include "runtime/config/config.h"
#include "runtime/ids/uuid.h"
#include "runtime/kafka/consumer.h"
#include "runtime/kafka/producer.h"
#include "runtime/messaging/envelope.h"
#include "runtime/messaging/topics.h"

namespace {

namespace saga = agora::saga::v1;
namespace rt = agora::runtime;
using rt::ids::NewUuid;
using rt::messaging::Envelope;

struct Options {
  int pg_port = 5432;
  std::string brokers;
  std::string prefix;
  std::string participant;
  int commands = 20000;
};

// The commands, keyed by order id, with what they need seeded.
std::vector<std::pair<std::string, Envelope>> Prepare(pqxx::connection& c, const Options& o) {
  std::vector<std::pair<std::string, Envelope>> out;
  pqxx::work tx(c);
  if (o.participant == "inventory") {
    std::vector<std::string> products;
    for (int i = 0; i < 16; ++i) {
      products.push_back(NewUuid());
      tx.exec_params("INSERT INTO inventory.products (id, sku, name, price_cents, stock) "
                     "VALUES ($1::uuid, $1::text, 'bench', 100, 1000000000)",
                     products.back());
    }
    for (int i = 0; i < o.commands; ++i) {
      saga::ReserveStockCommand cmd;
      cmd.set_order_id(NewUuid());
      saga::StockLine* l = cmd.add_lines();
      l->set_product_id(products[static_cast<size_t>(i) % products.size()]);
      l->set_quantity(1);
      out.push_back({cmd.order_id(), rt::messaging::Wrap(cmd, {cmd.order_id(), "", ""})});
    }
  } else if (o.participant == "customers") {
    std::vector<std::string> customers;
    for (int i = 0; i < 1000; ++i) {
      customers.push_back(NewUuid());
      tx.exec_params("INSERT INTO customers.customers (id, email, display_name, password_hash, balance_cents) "
                     "VALUES ($1::uuid, $1::text || '@bench', 'bench', 'x', 1000000000000)",
                     customers.back());
      tx.exec_params("INSERT INTO customers.ledger (id, customer_id, kind, amount_cents) "
                     "VALUES ($1, $2, 'TOP_UP', 1000000000000)",
                     NewUuid(), customers.back());
    }
    for (int i = 0; i < o.commands; ++i) {
      saga::DebitBalanceCommand cmd;
      cmd.set_order_id(NewUuid());
      cmd.set_customer_id(customers[static_cast<size_t>(i) % customers.size()]);
      cmd.set_amount_cents(100);
      out.push_back({cmd.order_id(), rt::messaging::Wrap(cmd, {cmd.order_id(), "", ""})});
    }
  } else {
    for (int i = 0; i < o.commands; ++i) {
      saga::ApproveOrderCommand cmd;
      cmd.set_order_id(NewUuid());
      tx.exec_params("INSERT INTO orders.orders (id, customer_id, status, total_cents, from_cart) "
                     "VALUES ($1, $2, 'PENDING', 100, false)",
                     cmd.order_id(), NewUuid());
      tx.exec_params("INSERT INTO orders.order_items (order_id, line_no, product_id, quantity, unit_price_cents) "
                     "VALUES ($1, 1, $2, 1, 100)",
                     cmd.order_id(), NewUuid());
      out.push_back({cmd.order_id(), rt::messaging::Wrap(cmd, {cmd.order_id(), "", ""})});
    }
  }
  tx.commit();
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  rt::config::Reader r(argc, argv);
  r.Int("AGORA_PG_PORT", 5432, 1, 65535, &o.pg_port, "PostgreSQL port (database agora, superuser postgres)");
  r.String("AGORA_KAFKA_BROKERS", "127.0.0.1:9092", &o.brokers, "bootstrap servers");
  r.String("AGORA_TOPIC_PREFIX", "", &o.prefix, "the services' AGORA_KAFKA_TOPIC_PREFIX");
  r.Choice("AGORA_PARTICIPANT", "inventory", {"inventory", "customers", "orders"}, &o.participant,
           "which participant to load");
  r.Int("AGORA_COMMANDS", 20000, 1, 10000000, &o.commands, "commands to send");
  if (absl::Status s = r.Finish(); !s.ok()) {
    std::fprintf(stderr, "participant_bench: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  rt::messaging::Topics topics{o.prefix};
  rt::kafka::KafkaOptions kafka;
  kafka.brokers = o.brokers;
  kafka.client_id = "participant-bench";
  kafka.linger_ms = 5;

  pqxx::connection pg(agora::bench::SuperuserConnection(o.pg_port));
  const std::vector<std::pair<std::string, Envelope>> commands = Prepare(pg, o);
  std::set<std::string> pending;
  for (const auto& [key, e] : commands) pending.insert(e.message_id());

  absl::Mutex mu;
  size_t answered = 0;
  std::set<std::string> seen;
  auto consumer = rt::kafka::StartConsumer(
      {kafka, "bench-" + NewUuid(), {topics.Replies()}, 5, absl::Milliseconds(50), absl::Seconds(5), "earliest"},
      [&](const rt::kafka::IncomingMessage& m) {
        absl::StatusOr<Envelope> e = rt::messaging::ParseEnvelope(m.value);
        if (!e.ok()) return absl::OkStatus();
        absl::MutexLock lock(&mu);
        if (pending.contains(e->causation_id()) && seen.insert(e->causation_id()).second) ++answered;
        return absl::OkStatus();
      },
      nullptr);
  auto producer = rt::kafka::NewProducer(kafka);
  if (!consumer.ok() || !producer.ok()) {
    std::fprintf(stderr, "participant_bench: kafka: %s\n",
                 std::string((consumer.ok() ? producer.status() : consumer.status()).message()).c_str());
    return 1;
  }
  // Let the reply consumer join its group, so that its join is not timed.
  absl::SleepFor(absl::Seconds(5));

  const int64_t commits_before = agora::bench::Commits(pg);
  const absl::Time start = absl::Now();
  std::vector<rt::kafka::OutgoingMessage> batch;
  for (size_t i = 0; i < commands.size(); ++i) {
    batch.push_back({topics.Commands(o.participant), commands[i].first, commands[i].second.SerializeAsString(), {}});
    if (batch.size() == 1000 || i + 1 == commands.size()) {
      for (const absl::Status& s : (*producer)->SendAndWait(batch, absl::Seconds(60))) {
        if (!s.ok()) {
          std::fprintf(stderr, "participant_bench: send: %s\n", std::string(s.message()).c_str());
          return 1;
        }
      }
      batch.clear();
    }
  }
  const absl::Time deadline = absl::Now() + absl::Minutes(5);
  auto all = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return answered == commands.size(); };
  {
    absl::MutexLock lock(&mu);
    mu.AwaitWithDeadline(absl::Condition(&all), deadline);
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const int64_t commits = agora::bench::Commits(pg) - commits_before;
  size_t done = 0;
  {
    absl::MutexLock lock(&mu);
    done = answered;
  }
  (*consumer)->Stop();
  std::printf("participant=%s commands=%zu answered=%zu seconds=%.2f commands_per_s=%.0f commits=%lld "
              "commits_per_command=%.3f\n",
              o.participant.c_str(), commands.size(), done, seconds, static_cast<double>(done) / seconds,
              static_cast<long long>(commits), done ? static_cast<double>(commits) / static_cast<double>(done) : 0);
  return done == commands.size() ? 0 : 1;
}
