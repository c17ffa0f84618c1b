#pragma once

// Composite routes the gateway answers by calling several backends in
// parallel. Each composition is declared once, as data (ProductDetails()):
// its parts, the backend method each calls, how the part's request is made
// from the path and how its answer is rendered, whether the part is
// required (its failure fails the request) and whether it needs a signed-in
// caller. A failed or late optional part is left out and its backend named
// in "degraded".

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gateway/http_types.h"
#include "gateway/upstreams.h"

namespace agora::gateway {

struct FanoutPart {
  std::string field;    // JSON field of the answer: "product", "rating", ...
  std::string backend;  // named in "degraded": "inventory", "reviews", "customers"
  std::string service;  // "agora.reviews.v1.Reviews"
  std::string method;   // "GetRating"
  bool required = false;
  bool needs_caller = false;
  absl::Duration timeout = absl::Seconds(2);
  // Serialized request from the path's id.
  std::function<std::string(const std::string& id)> request;
  // JSON value of the answer (bytes of the response message).
  std::function<std::string(const std::string& response)> render;
};

struct Fanout {
  std::string prefix;  // "/v1/products/"
  std::string suffix;  // "/details"
  std::vector<FanoutPart> parts;
};

// GET /v1/products/{id}/details: product (required), rating and the three
// newest reviews, and favourite (with a token).
const Fanout& ProductDetails();

// The id when `path` is prefix + id + suffix (one segment), else "".
std::string FanoutId(const Fanout& fanout, const std::string& path);

// Calls the parts in parallel and answers once every part has answered or
// timed out. `signed_in` says whether the caller's token was valid;
// `metadata` goes to every backend (authorization, request id, trace).
void RunFanout(const Fanout& fanout, const std::string& id, bool signed_in,
               std::vector<std::pair<std::string, std::string>> metadata, Upstreams& upstreams,
               std::function<void(HttpResponse)> respond);

}  // namespace agora::gateway
