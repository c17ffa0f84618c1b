// The load of `./agora chaos` (tools/chaos/chaos.sh): customers ordering a
// few hot products through the gateway while processes are killed, brokers
// go down and PostgreSQL restarts; some customers short of money, cancels and
// administrator aborts mixed in.
//
//   chaos_load --gateway-port=P --pg-port=P --jwt-key-file=F [--seconds=60]
//              [--clients=8] [--customers=60] [--products=4] [--stock=1500] [--seed=1]
//              [--reads=0]
//
// Seeds, as the PostgreSQL superuser, `products` products with `stock` units
// each (recorded in public.chaos_products for the checker, tools/chaos/
// check.sql) and `customers` customers, one in five with money for about one
// order, the others with plenty (each balance a TOP_UP in the ledger). Then,
// for `seconds`, `clients` threads each: POST an order (1 or 2 lines of 1 to
// 3 units) with an idempotency key, sent again with the same key while the
// gateway does not answer (it may be down); 15 % of orders are cancelled by
// their customer a moment later, 5 % aborted by an administrator through
// their saga; `reads` catalog reads precede each order. Prints one line of
// counts. What the run ends with is judged
// from the database (check.sql), not from what this program heard back.
//
// Written by hand: no Debian package drives a REST API under faults.

#include <pqxx/pqxx>

#include <atomic>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bench/pg_stats.h"
#include "runtime/auth/jwt.h"
#include "runtime/config/config.h"
#include "runtime/ids/uuid.h"
#include "tools/local/http_client.h"
#include "tools/local/load_signer.h"

namespace {

namespace rt = agora::runtime;

struct Options {
  int gateway_port = 8080;
  int pg_port = 5432;
  std::string key_file;
  int seconds = 60;
  int clients = 8;
  int customers = 60;
  int products = 4;
  int stock = 1500;
  int seed = 1;
  int reads = 0;
};

struct World {
  std::vector<std::string> tokens;  // one per customer
  std::vector<std::string> products;
  std::string admin_token;
};

World Seed(pqxx::connection& pg, const Options& o) {
  const auto signer = agora::local::SignerFromKeyFileOrExit("chaos_load", o.key_file, absl::Hours(4));
  World w;
  pqxx::work tx(pg);
  tx.exec("CREATE TABLE IF NOT EXISTS public.chaos_products (id uuid PRIMARY KEY, initial_stock bigint NOT NULL)");
  for (int i = 0; i < o.products; ++i) {
    w.products.push_back(rt::ids::NewUuid());
    const int price = 150 + 100 * i;
    tx.exec_params("INSERT INTO inventory.products (id, sku, name, price_cents, stock) "
                   "VALUES ($1::uuid, 'CHAOS-' || $1::text, 'chaos item', $2, $3)",
                   w.products.back(), price, o.stock);
    tx.exec_params("INSERT INTO public.chaos_products (id, initial_stock) VALUES ($1::uuid, $2)", w.products.back(),
                   o.stock);
  }
  for (int i = 0; i < o.customers; ++i) {
    const std::string id = rt::ids::NewUuid();
    // One in five can pay for about one order; the others for hundreds.
    const int64_t balance = i % 5 == 0 ? 400 : 500000;
    tx.exec_params("INSERT INTO customers.customers (id, email, display_name, password_hash, balance_cents) "
                   "VALUES ($1::uuid, $1::text || '@chaos.local', 'chaos', 'x', $2)",
                   id, balance);
    tx.exec_params("INSERT INTO customers.ledger (id, customer_id, kind, amount_cents) VALUES ($1, $2, 'TOP_UP', $3)",
                   rt::ids::NewUuid(), id, balance);
    w.tokens.push_back(signer->Sign(id, {"customer"}, absl::Now()));
  }
  tx.commit();
  w.admin_token = signer->Sign(rt::ids::NewUuid(), {"customer", "admin"}, absl::Now());
  return w;
}

// Counts by name, shared by the client threads.
class Counts {
 public:
  void Add(const std::string& name, int64_t n = 1) {
    absl::MutexLock lock(&mu_);
    counts_[name] += n;
  }
  std::string Line() {
    absl::MutexLock lock(&mu_);
    std::string out;
    for (const auto& [k, v] : counts_) absl::StrAppend(&out, out.empty() ? "" : " ", k, "=", v);
    return out;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, int64_t> counts_ ABSL_GUARDED_BY(mu_);
};

// A string field of a flat JSON answer ("" if absent); enough for ids.
std::string Field(const std::string& json, const std::string& name) {
  const std::string key = "\"" + name + "\":\"";
  const size_t at = json.find(key);
  if (at == std::string::npos) return "";
  const size_t end = json.find('"', at + key.size());
  return end == std::string::npos ? "" : json.substr(at + key.size(), end - at - key.size());
}

// Sends until the gateway answers (it may be down for a while), at most
// `patience`; the answer, or status 0.
agora::local::HttpAnswer Insist(agora::local::HttpClient& http, Counts& counts, const std::string& method,
                                const std::string& target, const std::string& token, const std::string& body,
                                absl::Duration patience = absl::Seconds(20)) {
  const absl::Time give_up = absl::Now() + patience;
  for (;;) {
    agora::local::HttpAnswer a = http.Call(method, target, token, body);
    // 502/503/504: the gateway is up, a backend is not (yet).
    if (a.status != 0 && a.status != 502 && a.status != 503 && a.status != 504) return a;
    counts.Add(a.status == 0 ? "unanswered" : absl::StrCat("retried_", a.status));
    if (absl::Now() > give_up) return a;
    absl::SleepFor(absl::Milliseconds(200));
  }
}

void Client(const Options& o, const World& w, int index, absl::Time stop, Counts& counts) {
  agora::local::HttpClient http(o.gateway_port);
  std::mt19937 rng(static_cast<uint32_t>(o.seed * 1000 + index));
  std::uniform_int_distribution<size_t> product(0, w.products.size() - 1);
  std::uniform_int_distribution<size_t> customer(0, w.tokens.size() - 1);
  std::uniform_int_distribution<int> units(1, 3);
  std::uniform_int_distribution<int> percent(0, 99);
  while (absl::Now() < stop) {
    for (int i = 0; i < o.reads; ++i) {
      const agora::local::HttpAnswer read =
          i % 2 == 0 ? http.Call("GET", "/v1/products/" + w.products[product(rng)])
                     : http.Call("GET", "/v1/products?pageSize=10");
      counts.Add(absl::StrCat("read_answered_", read.status));
    }
    const std::string& token = w.tokens[customer(rng)];
    std::string body = absl::StrCat(R"({"idempotencyKey":")", rt::ids::NewUuid(), R"(","items":[)");
    const size_t a = product(rng);
    absl::StrAppend(&body, R"({"productId":")", w.products[a], R"(","quantity":)", units(rng), "}");
    if (percent(rng) < 50 && w.products.size() > 1) {
      absl::StrAppend(&body, R"(,{"productId":")", w.products[(a + 1) % w.products.size()], R"(","quantity":)",
                      units(rng), "}");
    }
    body += "]}";
    const agora::local::HttpAnswer placed = Insist(http, counts, "POST", "/v1/orders", token, body);
    if (placed.status != 202) {
      counts.Add(absl::StrCat("order_answered_", placed.status));
      continue;
    }
    counts.Add("orders_accepted");
    const std::string id = Field(placed.body, "id");
    const int roll = percent(rng);
    if (roll < 15) {
      absl::SleepFor(absl::Milliseconds(std::uniform_int_distribution<int>(0, 300)(rng)));
      const agora::local::HttpAnswer c = Insist(http, counts, "POST", "/v1/orders/" + id + ":cancel", token, "{}");
      counts.Add(absl::StrCat("cancel_answered_", c.status));
    } else if (roll < 20) {
      absl::SleepFor(absl::Milliseconds(std::uniform_int_distribution<int>(0, 200)(rng)));
      const agora::local::HttpAnswer s = Insist(http, counts, "GET", "/v1/orders/" + id + "/saga", w.admin_token, "");
      const std::string saga = Field(s.body, "sagaId");
      if (s.status != 200 || saga.empty()) {
        counts.Add(absl::StrCat("saga_lookup_answered_", s.status));  // 404 until the saga exists
      } else {
        const agora::local::HttpAnswer ab =
            Insist(http, counts, "POST", "/v1/admin/sagas/" + saga + ":abort", w.admin_token, "{}");
        counts.Add(absl::StrCat("abort_answered_", ab.status));
      }
    }
    absl::SleepFor(absl::Milliseconds(std::uniform_int_distribution<int>(5, 40)(rng)));
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  rt::config::Reader r(argc, argv);
  r.Int("AGORA_GATEWAY_PORT", 8080, 1, 65535, &o.gateway_port, "the gateway's HTTP port on 127.0.0.1");
  r.Int("AGORA_PG_PORT", 5432, 1, 65535, &o.pg_port, "PostgreSQL port (database agora, superuser postgres)");
  r.String("AGORA_JWT_KEY_FILE", "", &o.key_file, "the customers service's signing key (PEM)");
  r.Int("AGORA_SECONDS", 60, 1, 86400, &o.seconds, "how long orders are sent");
  r.Int("AGORA_CLIENTS", 8, 1, 1024, &o.clients, "concurrent clients");
  r.Int("AGORA_CUSTOMERS", 60, 5, 100000, &o.customers, "customers seeded");
  r.Int("AGORA_PRODUCTS", 4, 1, 1000, &o.products, "products seeded (few: they are hot)");
  r.Int("AGORA_STOCK", 1500, 1, 1000000000, &o.stock, "units of each product seeded");
  r.Int("AGORA_SEED", 1, 0, 1000000, &o.seed, "random seed of the clients");
  r.Int("AGORA_READS", 0, 0, 100, &o.reads, "catalog reads (a product, a page of the list) before each order");
  if (absl::Status s = r.Finish(); !s.ok()) {
    const bool help = s.code() == absl::StatusCode::kCancelled;
    std::fprintf(help ? stdout : stderr, "chaos_load: %s\n", std::string(s.message()).c_str());
    return help ? 0 : 2;
  }
  pqxx::connection pg(agora::bench::SuperuserConnection(o.pg_port));
  const World world = Seed(pg, o);
  std::printf("{\"event\":\"chaos_load_seeded\",\"customers\":%d,\"products\":%d}\n", o.customers, o.products);
  std::fflush(stdout);
  Counts counts;
  const absl::Time stop = absl::Now() + absl::Seconds(o.seconds);
  std::vector<std::thread> threads;
  for (int i = 0; i < o.clients; ++i) threads.emplace_back([&, i] { Client(o, world, i, stop, counts); });
  for (std::thread& t : threads) t.join();
  std::printf("%s\n", counts.Line().c_str());
  return 0;
}
