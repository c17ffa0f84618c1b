// Fuzzes the gateway's HTTP front: Beast's request parser with the
// server's limits and smuggling checks (gateway/request_checks.h), then the
// header forwarding of a request that passed. Bytes arrive in pieces, as
// from a socket; nothing may crash, and a request that passes has one
// Content-Length at most, never with Transfer-Encoding.

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "gateway/forwarded_headers.h"
#include "gateway/request_checks.h"

namespace http = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kMaxBody = 1 << 20;
  agora::gateway::RequestParser parser;
  parser.header_limit(16 << 10);
  parser.body_limit(kMaxBody);
  parser.eager(true);
  boost::beast::error_code ec;
  // The first byte sets the size of the pieces (1..256) the bytes arrive in.
  const size_t piece = size == 0 ? 1 : static_cast<size_t>(data[0]) + 1;
  size_t at = size == 0 ? 0 : 1;
  std::string pending;  // received, not yet consumed by the parser
  bool checked = false;
  while (!parser.is_done()) {
    if (at < size) {
      const size_t n = std::min(piece, size - at);
      pending.append(reinterpret_cast<const char*>(data + at), n);
      at += n;
    }
    const size_t used = parser.put(boost::asio::buffer(pending), ec);
    pending.erase(0, used);
    if (ec == http::error::need_more) {
      ec = {};
      if (at >= size) return 0;  // the client stopped mid-request
    } else if (ec) {
      return 0;  // refused by the parser: the server answers 400/413/431
    }
    if (parser.is_header_done() && !checked) {
      checked = true;
      if (agora::gateway::CheckHeader(parser, kMaxBody)) return 0;  // refused
      const auto& h = parser.get();
      if (h.count(http::field::content_length) > 1) std::abort();
      if (h.count(http::field::content_length) == 1 && h.count(http::field::transfer_encoding) > 0) {
        std::abort();
      }
    }
    if (used == 0 && at >= size && !parser.is_done()) return 0;
  }
  if (!parser.is_done()) return 0;
  const auto& req = parser.get();
  agora::gateway::HttpRequest r;
  r.method = std::string(req.method_string());
  r.path = std::string(req.target());
  for (const auto& f : req) {
    std::string name(f.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  r.body = req.body();
  if (r.body.size() > kMaxBody) std::abort();
  const auto md = agora::gateway::ForwardedMetadata(r, agora::gateway::RequestIdFor(r.Header("x-request-id")));
  if (md.ok()) {
    for (const auto& kv : *md) {
      if (!agora::gateway::IsLegalMetadataValue(kv.second)) std::abort();
    }
  }
  return 0;
}
