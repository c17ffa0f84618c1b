#pragma once

// A hot-path front for a prometheus-cpp Family: Family::Add builds a
// std::map of the labels, hashes it and takes the family's lock on every
// call, which per request (or per gRPC call) is measurable. CachedFamily
// keeps each child by its label values (joined into one key) behind a reader
// lock, and asks the family only the first time a label set is seen. Children
// are never removed, so the references stay valid. Thread-safe.
//
//   CachedFamily<prometheus::Counter> requests(family, {"route", "method", "code"});
//   requests.Get({route, method, "200"}).Increment();

#include <cassert>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/family.h"

namespace agora::runtime::metrics {

template <typename T>
class CachedFamily final {
 public:
  CachedFamily(prometheus::Family<T>& family, std::vector<std::string> label_names)
      : family_(family), names_(std::move(label_names)) {}

  // `values` in the order of the label names; `args` go to Family::Add on
  // the first use of a label set (a histogram's bucket boundaries).
  template <typename... Args>
  T& Get(std::initializer_list<std::string_view> values, const Args&... args) {
    assert(values.size() == names_.size());
    thread_local std::string key;
    key.clear();
    for (std::string_view v : values) {
      key.append(v);
      key.push_back('\x1f');
    }
    {
      absl::ReaderMutexLock lock(&mu_);
      if (auto it = children_.find(key); it != children_.end()) return *it->second;
    }
    std::map<std::string, std::string> labels;
    size_t i = 0;
    for (std::string_view v : values) labels.emplace(names_[i++], std::string(v));
    absl::MutexLock lock(&mu_);
    T*& child = children_[key];
    if (child == nullptr) child = &family_.Add(labels, args...);
    return *child;
  }

 private:
  prometheus::Family<T>& family_;
  const std::vector<std::string> names_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, T*> children_ ABSL_GUARDED_BY(mu_);
};

}  // namespace agora::runtime::metrics
