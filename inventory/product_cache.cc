#include "inventory/product_cache.h"

#include <algorithm>

#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace agora::inventory {
namespace {

std::string Lower(std::string_view id) {
  std::string s(id);
  absl::AsciiStrToLower(&s);
  return s;
}

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
    : cache_(cache),
      listener_(options, ProductCache::Channel(options.schema), "inventory_cache",
                {.on_notice = [this](const std::string& payload) {
                   cache_.Invalidate(absl::StrSplit(payload, ',', absl::SkipEmpty()));
                 },
                 // Listening from here on: changes committed while nobody
                 // listened may be cached, so start empty.
                 .on_listening = [this] { cache_.Reset(true); },
                 .on_lost = [this] { cache_.Reset(false); }}) {
  listener_.Start();
}

ProductCacheListener::~ProductCacheListener() {
  listener_.Stop();
  cache_.Reset(false);
}

}  // namespace agora::inventory
