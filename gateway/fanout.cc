#include "gateway/fanout.h"

#include <algorithm>
#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "agora/customers/v1/customers.pb.h"
#include "agora/inventory/v1/inventory.pb.h"
#include "agora/reviews/v1/reviews.pb.h"
#include "gateway/error_mapping.h"
#include "gateway/json_printer.h"
#include "google/protobuf/util/json_util.h"

namespace agora::gateway {
namespace {

std::string Json(const google::protobuf::Message& m) {
  std::string fast;
  if (AppendJson(m, &fast).ok()) return fast;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(m, &out, options).ok()) return "null";
  return out;
}

template <typename T>
std::function<std::string(const std::string&)> RenderAs() {
  return [](const std::string& bytes) {
    T m;
    return m.ParseFromString(bytes) ? Json(m) : std::string("null");
  };
}

struct Gather {
  absl::Mutex mu;
  std::vector<std::string> values ABSL_GUARDED_BY(mu);
  std::vector<int> codes ABSL_GUARDED_BY(mu);
  std::vector<std::string> messages ABSL_GUARDED_BY(mu);
  std::atomic<int> pending{0};
};

}  // namespace

const Fanout& ProductDetails() {
  static const Fanout* const fanout = [] {
    auto* f = new Fanout{"/v1/products/", "/details", {}};
    FanoutPart product{"product", "inventory", "agora.inventory.v1.Inventory", "GetProduct", true,
                       false, absl::Seconds(5), nullptr, RenderAs<agora::inventory::v1::Product>()};
    product.request = [](const std::string& id) {
      agora::inventory::v1::GetProductRequest r;
      r.set_id(id);
      return r.SerializeAsString();
    };
    FanoutPart rating{"rating", "reviews", "agora.reviews.v1.Reviews", "GetRating", false, false,
                      absl::Seconds(2), nullptr, RenderAs<agora::reviews::v1::Rating>()};
    rating.request = [](const std::string& id) {
      agora::reviews::v1::GetRatingRequest r;
      r.set_product_id(id);
      return r.SerializeAsString();
    };
    FanoutPart reviews{"topReviews", "reviews", "agora.reviews.v1.Reviews", "ListReviews", false,
                       false, absl::Seconds(2), nullptr, nullptr};
    reviews.request = [](const std::string& id) {
      agora::reviews::v1::ListReviewsRequest r;
      r.set_product_id(id);
      r.set_page_size(3);  // the three newest
      return r.SerializeAsString();
    };
    reviews.render = [](const std::string& bytes) {
      agora::reviews::v1::ListReviewsResponse m;
      if (!m.ParseFromString(bytes)) return std::string("[]");
      std::string out = "[";
      for (int i = 0; i < m.reviews_size(); ++i) absl::StrAppend(&out, i ? "," : "", Json(m.reviews(i)));
      return out + "]";
    };
    FanoutPart favorite{"favorite", "customers", "agora.customers.v1.Customers", "IsFavorite", false,
                        true, absl::Seconds(2), nullptr, nullptr};
    favorite.request = [](const std::string& id) {
      agora::customers::v1::IsFavoriteRequest r;
      r.set_product_id(id);
      return r.SerializeAsString();
    };
    favorite.render = [](const std::string& bytes) {
      agora::customers::v1::IsFavoriteResponse m;
      return m.ParseFromString(bytes) && m.favorite() ? std::string("true") : std::string("false");
    };
    f->parts = {product, rating, reviews, favorite};
    return f;
  }();
  return *fanout;
}

std::string FanoutId(const Fanout& fanout, const std::string& path) {
  if (path.size() <= fanout.prefix.size() + fanout.suffix.size()) return "";
  if (path.compare(0, fanout.prefix.size(), fanout.prefix) != 0) return "";
  if (path.compare(path.size() - fanout.suffix.size(), fanout.suffix.size(), fanout.suffix) != 0) return "";
  const std::string id =
      path.substr(fanout.prefix.size(), path.size() - fanout.prefix.size() - fanout.suffix.size());
  return id.find('/') == std::string::npos ? id : "";
}

void RunFanout(const Fanout& fanout, const std::string& id, bool signed_in,
               std::vector<std::pair<std::string, std::string>> metadata, Upstreams& upstreams,
               std::function<void(HttpResponse)> respond) {
  auto gather = std::make_shared<Gather>();
  const size_t n = fanout.parts.size();
  {
    absl::MutexLock lock(&gather->mu);
    gather->values.assign(n, "");
    gather->codes.assign(n, -1);  // -1: not asked
    gather->messages.assign(n, "");
  }
  std::vector<size_t> asked;
  for (size_t i = 0; i < n; ++i) {
    if (!fanout.parts[i].needs_caller || signed_in) asked.push_back(i);
  }
  gather->pending.store(static_cast<int>(asked.size()));
  auto finish = [&fanout, gather, respond]() {
    absl::MutexLock lock(&gather->mu);
    std::string body = "{";
    std::vector<std::string> degraded;
    for (size_t i = 0; i < fanout.parts.size(); ++i) {
      const FanoutPart& part = fanout.parts[i];
      const int code = gather->codes[i];
      if (code == -1) continue;
      if (code != 0) {
        if (part.required) {
          respond(BackendError(code, gather->messages[i], gather->values[i]));
          return;
        }
        if (std::find(degraded.begin(), degraded.end(), part.backend) == degraded.end()) {
          degraded.push_back(part.backend);
        }
        continue;
      }
      absl::StrAppend(&body, body.size() > 1 ? "," : "", "\"", part.field, "\":", gather->values[i]);
    }
    if (!degraded.empty()) {
      absl::StrAppend(&body, ",\"degraded\":[");
      for (size_t k = 0; k < degraded.size(); ++k) absl::StrAppend(&body, k ? "," : "", "\"", degraded[k], "\"");
      body += "]";
    }
    body += "}";
    HttpResponse r;
    r.Set("Content-Type", "application/json");
    r.body = std::move(body);
    respond(std::move(r));
  };
  for (size_t i : asked) {
    const FanoutPart& part = fanout.parts[i];
    UpstreamCall call{part.service, part.method, part.request(id), part.timeout, metadata};
    upstreams.Call(std::move(call), [gather, i, &part, finish](int code, std::string message,
                                                                std::string response) {
      {
        absl::MutexLock lock(&gather->mu);
        gather->codes[i] = code;
        gather->messages[i] = std::move(message);
        gather->values[i] = code == 0 ? part.render(response) : std::move(response);  // details on errors
      }
      if (gather->pending.fetch_sub(1) == 1) finish();
    });
  }
}

}  // namespace agora::gateway
