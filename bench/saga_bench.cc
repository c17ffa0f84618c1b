// Orders through the gateway, each waited for until its saga has ended: the
// load generator of `./agora bench saga` (bench/saga.sh).
//
//   saga_bench --gateway-port=P --pg-port=P --kafka-brokers=B --topic-prefix=X
//              --jwt-key-file=F --mode=closed|rate [--concurrency=N] [--rate=R]
//              [--seconds=S] [--customers=C] [--products=K]
//
// Seeds, as the PostgreSQL superuser, C customers with ample balance and K
// products with ample stock (price 100 cents), and signs each customer an
// access token with the customers service's key (the file the bench made).
// Then, for S seconds:
//   closed  N clients, each on its own keep-alive connection, POST an order of
//           1 or 2 random products and wait for its end before the next;
//   rate    orders are due at R per second on a fixed schedule, sent by N
//           connections; latency counts from the due time, so a late send is
//           charged to the system (no coordinated omission).
// An order has ended when its OrderStatusChanged event (APPROVED or REJECTED)
// is on `agora.orders.events`: a consumer of that topic stamps the time. This
// is a little later than the commit that made the status terminal (the
// orders relay publishes after it), so the latency errs on the long side.
// Orders still running S seconds after the last send count as unfinished.
//
// Prints one line:
//   mode=closed target=64 sent=N completed=N approved=A rejected=R unfinished=U
//   errors=E seconds=T sagas_per_s=X p50_ms=.. p99_ms=.. max_ms=.. commits=K commits_per_saga=Q
//   machine_busy=B
// B: the share of the machine's CPU time (all cores, every process) that was
// not idle from the first send until every order had ended, in percent: near
// 100, the run was bound by the CPU and its latencies are queueing.
// Exit status 1 when an order failed or did not end.
//
// Written by hand: no Debian package drives a REST API and a Kafka topic
// together; HTTP is Boost.Beast's (tools/local/http_client.h).

#include <pqxx/pqxx>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <unordered_map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "agora/saga/v1/messages.pb.h"
#include "bench/pg_stats.h"
#include "runtime/auth/jwt.h"
#include "runtime/config/config.h"
#include "runtime/ids/uuid.h"
#include "runtime/kafka/consumer.h"
#include "runtime/messaging/envelope.h"
#include "runtime/messaging/topics.h"
#include "tools/local/http_client.h"
#include "tools/local/load_signer.h"

namespace {

namespace saga = agora::saga::v1;
namespace rt = agora::runtime;

// The machine's busy and total CPU time so far, in clock ticks, from
// /proc/stat's first line ("cpu user nice system idle iowait irq softirq
// steal guest guest_nice"): busy is all but idle and iowait; guest time is
// already in user time. {0, 0} when unreadable.
std::pair<int64_t, int64_t> MachineTicks() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  int64_t v[8] = {};
  if (!(in >> cpu) || cpu != "cpu") return {0, 0};
  for (int64_t& x : v) {
    if (!(in >> x)) return {0, 0};
  }
  int64_t total = 0;
  for (int64_t x : v) total += x;
  return {total - v[3] - v[4], total};
}

struct Options {
  int gateway_port = 8080;
  int pg_port = 5432;
  std::string brokers;
  std::string prefix;
  std::string key_file;
  std::string mode = "closed";
  int concurrency = 64;
  int rate = 400;
  int seconds = 10;
  int customers = 200;
  int products = 50;
};

// When each order was due (rate) or sent (closed), and when it ended.
class Ledger {
 public:
  void Sent(const std::string& order, absl::Time at) {
    absl::MutexLock lock(&mu_);
    Entry& e = entries_[order];
    e.sent = at;
    e.has_sent = true;
    ++sent_;
  }
  void Ended(const std::string& order, absl::Time at, bool approved) {
    absl::MutexLock lock(&mu_);
    Entry& e = entries_[order];
    if (e.has_end) return;  // a re-published event
    e.end = at;
    e.has_end = true;
    e.approved = approved;
  }
  // Blocks until `order` has ended or `deadline`; true when it ended.
  bool AwaitEnd(const std::string& order, absl::Time deadline) {
    absl::MutexLock lock(&mu_);
    auto ended = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      auto it = entries_.find(order);
      return it != entries_.end() && it->second.has_end;
    };
    return mu_.AwaitWithDeadline(absl::Condition(&ended), deadline);
  }
  // Waits until every sent order has ended, or `deadline`.
  void AwaitAll(absl::Time deadline) {
    absl::MutexLock lock(&mu_);
    auto all = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      size_t done = 0;
      for (const auto& [id, e] : entries_) done += e.has_sent && e.has_end;
      return done == sent_;
    };
    mu_.AwaitWithDeadline(absl::Condition(&all), deadline);
  }

  struct Summary {
    size_t sent = 0, completed = 0, approved = 0;
    absl::Time last_end = absl::InfinitePast();
    std::vector<double> latencies_ms;
  };
  Summary Summarize() {
    absl::MutexLock lock(&mu_);
    Summary s;
    for (const auto& [id, e] : entries_) {
      if (!e.has_sent) continue;
      ++s.sent;
      if (!e.has_end) continue;
      ++s.completed;
      s.approved += e.approved;
      s.last_end = std::max(s.last_end, e.end);
      s.latencies_ms.push_back(absl::ToDoubleMilliseconds(e.end - e.sent));
    }
    std::sort(s.latencies_ms.begin(), s.latencies_ms.end());
    return s;
  }

 private:
  struct Entry {
    absl::Time sent, end;
    bool has_sent = false, has_end = false, approved = false;
  };
  absl::Mutex mu_;
  std::unordered_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  size_t sent_ ABSL_GUARDED_BY(mu_) = 0;
};

// Orders over one keep-alive connection to the gateway.
class Client {
 public:
  explicit Client(int port) : http_(port) {}

  // POSTs an order; the new order's id, or "" on failure (logged).
  std::string PlaceOrder(const std::string& token, const std::string& body) {
    const agora::local::HttpAnswer a = http_.Call("POST", "/v1/orders", token, body);
    if (a.status != 202) {
      std::fprintf(stderr, "saga_bench: POST /v1/orders answered %d: %s%s\n", a.status, a.body.c_str(),
                   a.error.c_str());
      return "";
    }
    const auto slash = a.location.rfind('/');
    return slash == std::string::npos ? "" : a.location.substr(slash + 1);
  }

 private:
  agora::local::HttpClient http_;
};

struct World {
  std::vector<std::string> tokens;    // one per customer
  std::vector<std::string> products;
};

World Seed(pqxx::connection& pg, const Options& o) {
  const auto signer = agora::local::SignerFromKeyFileOrExit("saga_bench", o.key_file, absl::Hours(2));
  World w;
  pqxx::work tx(pg);
  for (int i = 0; i < o.products; ++i) {
    w.products.push_back(rt::ids::NewUuid());
    tx.exec_params("INSERT INTO inventory.products (id, sku, name, price_cents, stock) "
                   "VALUES ($1::uuid, 'BENCH-' || $1::text, 'bench item', 100, 1000000000)",
                   w.products.back());
  }
  for (int i = 0; i < o.customers; ++i) {
    const std::string id = rt::ids::NewUuid();
    tx.exec_params("INSERT INTO customers.customers (id, email, display_name, password_hash, balance_cents) "
                   "VALUES ($1::uuid, $1::text || '@bench.local', 'bench', 'x', 1000000000000)",
                   id);
    tx.exec_params("INSERT INTO customers.ledger (id, customer_id, kind, amount_cents) "
                   "VALUES ($1, $2, 'TOP_UP', 1000000000000)",
                   rt::ids::NewUuid(), id);
    w.tokens.push_back(signer->Sign(id, {"customer"}, absl::Now()));
  }
  tx.commit();
  return w;
}

std::string OrderBody(const World& w, std::mt19937& rng) {
  std::uniform_int_distribution<size_t> pick(0, w.products.size() - 1);
  const size_t a = pick(rng);
  std::string body = absl::StrCat(R"({"items":[{"productId":")", w.products[a], R"(","quantity":1})");
  if (rng() % 2 == 0 && w.products.size() > 1) {
    size_t b = pick(rng);
    if (b == a) b = (a + 1) % w.products.size();
    absl::StrAppend(&body, R"(,{"productId":")", w.products[b], R"(","quantity":1})");
  }
  return body + "]}";
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(p * static_cast<double>(sorted.size())));
  return sorted[i];
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  rt::config::Reader r(argc, argv);
  r.Int("AGORA_GATEWAY_PORT", 8080, 1, 65535, &o.gateway_port, "the gateway's HTTP port on 127.0.0.1");
  r.Int("AGORA_PG_PORT", 5432, 1, 65535, &o.pg_port, "PostgreSQL port (database agora, superuser postgres)");
  r.String("AGORA_KAFKA_BROKERS", "127.0.0.1:9092", &o.brokers, "bootstrap servers");
  r.String("AGORA_TOPIC_PREFIX", "", &o.prefix, "the services' AGORA_KAFKA_TOPIC_PREFIX");
  r.String("AGORA_JWT_KEY_FILE", "", &o.key_file, "the customers service's signing key (PEM)");
  r.Choice("AGORA_MODE", "closed", {"closed", "rate"}, &o.mode, "closed loop or a fixed rate");
  r.Int("AGORA_CONCURRENCY", 64, 1, 4096, &o.concurrency, "clients (closed) or connections (rate)");
  r.Int("AGORA_RATE", 400, 1, 1000000, &o.rate, "orders per second (rate)");
  r.Int("AGORA_SECONDS", 10, 1, 3600, &o.seconds, "how long orders are sent");
  r.Int("AGORA_CUSTOMERS", 200, 1, 1000000, &o.customers, "customers seeded for this run");
  r.Int("AGORA_PRODUCTS", 50, 1, 100000, &o.products, "products seeded for this run");
  if (absl::Status s = r.Finish(); !s.ok()) {
    std::fprintf(stderr, "saga_bench: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  const rt::messaging::Topics topics{o.prefix};
  pqxx::connection pg(agora::bench::SuperuserConnection(o.pg_port));
  const World world = Seed(pg, o);

  Ledger ledger;
  rt::kafka::KafkaOptions kafka;
  kafka.brokers = o.brokers;
  kafka.client_id = "saga-bench";
  auto consumer = rt::kafka::StartConsumer(
      {kafka, "saga-bench-" + rt::ids::NewUuid(), {topics.OrderEvents()}, 5, absl::Milliseconds(50),
       absl::Seconds(5), "latest"},
      [&](const rt::kafka::IncomingMessage& m) {
        const absl::Time now = absl::Now();
        absl::StatusOr<rt::messaging::Envelope> e = rt::messaging::ParseEnvelope(m.value);
        if (!e.ok() || e->type() != "agora.saga.v1.OrderStatusChanged") return absl::OkStatus();
        saga::OrderStatusChanged ev;
        if (!ev.ParseFromString(e->payload())) return absl::OkStatus();
        if (ev.status() == agora::orders::v1::APPROVED || ev.status() == agora::orders::v1::REJECTED) {
          ledger.Ended(ev.order_id(), now, ev.status() == agora::orders::v1::APPROVED);
        }
        return absl::OkStatus();
      },
      nullptr);
  if (!consumer.ok()) {
    std::fprintf(stderr, "saga_bench: kafka: %s\n", std::string(consumer.status().message()).c_str());
    return 1;
  }
  // Let the event consumer join its group and take its partitions ("latest"):
  // an order of a warm-up round trip proves it sees events.
  {
    Client warm(o.gateway_port);
    std::mt19937 rng(1);
    const absl::Time give_up = absl::Now() + absl::Seconds(60);
    bool seen = false;
    while (!seen && absl::Now() < give_up) {
      const std::string id = warm.PlaceOrder(world.tokens[0], OrderBody(world, rng));
      if (id.empty()) return 1;
      seen = ledger.AwaitEnd(id, absl::Now() + absl::Seconds(5));
    }
    if (!seen) {
      std::fprintf(stderr, "saga_bench: no order ended within 60 s of warm-up\n");
      return 1;
    }
  }
  std::atomic<int64_t> errors{0};
  const int64_t commits_before = agora::bench::Commits(pg);
  const std::pair<int64_t, int64_t> ticks_before = MachineTicks();
  const absl::Time start = absl::Now();
  const absl::Time stop = start + absl::Seconds(o.seconds);
  std::vector<std::thread> threads;
  auto record = [&](const std::string& id, absl::Time at) { ledger.Sent(id, at); };
  if (o.mode == "closed") {
    for (int t = 0; t < o.concurrency; ++t) {
      threads.emplace_back([&, t] {
        Client client(o.gateway_port);
        std::mt19937 rng(static_cast<uint32_t>(t) + 7);
        size_t customer = static_cast<size_t>(t);
        while (absl::Now() < stop) {
          const absl::Time at = absl::Now();
          const std::string id = client.PlaceOrder(world.tokens[customer % world.tokens.size()], OrderBody(world, rng));
          customer += static_cast<size_t>(o.concurrency);
          if (id.empty()) {
            ++errors;
            absl::SleepFor(absl::Milliseconds(10));
            continue;
          }
          record(id, at);
          if (!ledger.AwaitEnd(id, absl::Now() + absl::Seconds(30))) ++errors;
        }
      });
    }
  } else {
    std::atomic<int64_t> next{0};
    const int64_t total = static_cast<int64_t>(o.rate) * o.seconds;
    for (int t = 0; t < o.concurrency; ++t) {
      threads.emplace_back([&, t] {
        Client client(o.gateway_port);
        std::mt19937 rng(static_cast<uint32_t>(t) + 7);
        for (int64_t i = next++; i < total; i = next++) {
          const absl::Time due = start + absl::Seconds(static_cast<double>(i) / o.rate);
          const absl::Time now = absl::Now();
          if (due > now) absl::SleepFor(due - now);
          const std::string id =
              client.PlaceOrder(world.tokens[static_cast<size_t>(i) % world.tokens.size()], OrderBody(world, rng));
          if (id.empty()) {
            ++errors;
            continue;
          }
          record(id, due);
        }
      });
    }
  }
  for (auto& t : threads) t.join();
  ledger.AwaitAll(absl::Now() + absl::Seconds(o.seconds + 30));
  const std::pair<int64_t, int64_t> ticks_after = MachineTicks();
  (*consumer)->Stop();
  const int64_t busy_ticks = ticks_after.first - ticks_before.first;
  const int64_t all_ticks = ticks_after.second - ticks_before.second;

  // Only this run's orders: the warm-up ones are in the ledger without a send time.
  Ledger::Summary s = ledger.Summarize();
  const double span = absl::ToDoubleSeconds(std::max(s.last_end, start + absl::Milliseconds(1)) - start);
  const int64_t commits = agora::bench::Commits(pg) - commits_before;
  const size_t unfinished = s.sent - s.completed;
  std::printf(
      "mode=%s target=%d sent=%zu completed=%zu approved=%zu rejected=%zu unfinished=%zu errors=%lld seconds=%.2f "
      "sagas_per_s=%.0f p50_ms=%.1f p99_ms=%.1f max_ms=%.1f commits=%lld commits_per_saga=%.2f "
      "machine_busy=%.0f\n",
      o.mode.c_str(), o.mode == "closed" ? o.concurrency : o.rate, s.sent, s.completed, s.approved,
      s.completed - s.approved, unfinished, static_cast<long long>(errors.load()), span,
      static_cast<double>(s.completed) / span, Percentile(s.latencies_ms, 0.50), Percentile(s.latencies_ms, 0.99),
      s.latencies_ms.empty() ? 0.0 : s.latencies_ms.back(), static_cast<long long>(commits),
      s.completed ? static_cast<double>(commits) / static_cast<double>(s.completed) : 0.0,
      all_ticks > 0 ? 100.0 * static_cast<double>(busy_ticks) / static_cast<double>(all_ticks) : 0.0);
  return unfinished == 0 && errors.load() == 0 ? 0 : 1;
}
