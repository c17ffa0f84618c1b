#include "inventory/product_cache.h"

#include <algorithm>
#include <exception>
#include <pqxx/pqxx>

#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "runtime/log/log.h"

namespace agora::inventory {
namespace {

constexpr absl::Duration kWaitSlice = absl::Milliseconds(100);
constexpr absl::Duration kMaxBackoff = absl::Seconds(5);

std::string Lower(std::string_view id) {
  std::string s(id);
  absl::AsciiStrToLower(&s);
  return s;
}

class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& conn, const std::string& channel, ProductCache& cache)
      : pqxx::notification_receiver(conn, channel), cache_(cache) {}
  void operator()(const std::string& payload, int /*backend_pid*/) override {
    cache_.Invalidate(absl::StrSplit(payload, ',', absl::SkipEmpty()));
  }

 private:
  ProductCache& cache_;
};

}  // namespace

ProductCache::ProductCache(size_t capacity) : per_stripe_(std::max<size_t>(1, capacity / kStripes)) {}

ProductCache::Stripe& ProductCache::StripeOf(std::string_view lower_id) {
  return stripes_[absl::Hash<std::string_view>()(lower_id) % kStripes];
}

std::optional<Product> ProductCache::Find(std::string_view id) {
  if (!on_.load()) return std::nullopt;
  const std::string key = Lower(id);
  Stripe& s = StripeOf(key);
  absl::MutexLock lock(&s.mu);
  auto it = s.products.find(key);
  if (it == s.products.end()) return std::nullopt;
  return it->second;
}

uint64_t ProductCache::Stamp(std::string_view id) {
  Stripe& s = StripeOf(Lower(id));
  absl::MutexLock lock(&s.mu);
  return s.generation;
}

void ProductCache::Put(std::string_view stamped_id, const Product& product, uint64_t stamp) {
  if (!on_.load()) return;
  const std::string key = Lower(product.id);
  if (key != Lower(stamped_id)) return;
  Stripe& s = StripeOf(key);
  absl::MutexLock lock(&s.mu);
  if (s.generation != stamp) return;  // changed since the caller read it
  if (s.products.size() >= per_stripe_) s.products.clear();
  s.products.insert_or_assign(key, product);
}

void ProductCache::Invalidate(const std::vector<std::string>& ids) {
  for (const std::string& id : ids) {
    const std::string key = Lower(id);
    Stripe& s = StripeOf(key);
    absl::MutexLock lock(&s.mu);
    ++s.generation;
    s.products.erase(key);
  }
}

void ProductCache::Reset(bool on) {
  if (!on) on_.store(false);
  for (Stripe& s : stripes_) {
    absl::MutexLock lock(&s.mu);
    ++s.generation;
    s.products.clear();
  }
  if (on) on_.store(true);
}

ProductCacheListener::ProductCacheListener(ProductCache& cache, runtime::pg::ConnectionOptions options)
    : cache_(cache), options_(std::move(options)), thread_([this] { Run(); }) {}

ProductCacheListener::~ProductCacheListener() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  cache_.Reset(false);
}

void ProductCacheListener::Run() {
  const std::string channel = ProductCache::Channel(options_.schema);
  absl::Duration backoff = kWaitSlice;
  while (!stop_.load()) {
    absl::StatusOr<std::unique_ptr<pqxx::connection>> conn = runtime::pg::Connect(options_);
    if (conn.ok()) {
      try {
        Receiver receiver(**conn, channel, cache_);
        // Listening from here on: changes committed while nobody listened
        // may be cached, so start empty.
        cache_.Reset(true);
        runtime::log::Info("inventory_cache_listening", {{"channel", channel}});
        backoff = kWaitSlice;
        while (!stop_.load()) {
          if (!(*conn)->is_open()) throw pqxx::broken_connection("LISTEN connection closed");
          (*conn)->await_notification(0, absl::ToInt64Microseconds(kWaitSlice));
        }
      } catch (const std::exception& e) {
        runtime::log::Warn("inventory_cache_connection_lost", {{"error", e.what()}});
      }
      cache_.Reset(false);
    }
    for (absl::Duration waited; waited < backoff && !stop_.load(); waited += kWaitSlice) {
      absl::SleepFor(kWaitSlice);
    }
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

}  // namespace agora::inventory
