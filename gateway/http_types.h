#pragma once

// The gateway's own view of an HTTP exchange, free of Boost.Beast so that
// only http_server.cc compiles against it.

#include <algorithm>
#include <cctype>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agora::gateway {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // raw (percent-encoded), without the query
  std::string query;   // after '?', raw
  // Lowercase names, in arrival order.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote_address;

  // The first value of a header ("" when absent); `name` lowercase.
  std::string_view Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // Sets header `name` (as spelled here, compared ignoring case), replacing
  // a value set before: a response never names a header twice.
  void Set(std::string name, std::string value) {
    for (auto& [n, v] : headers) {
      if (n.size() == name.size() &&
          std::equal(n.begin(), n.end(), name.begin(), [](unsigned char a, unsigned char b) {
            return std::tolower(a) == std::tolower(b);
          })) {
        v = std::move(value);
        return;
      }
    }
    headers.emplace_back(std::move(name), std::move(value));
  }
};

// A response sent in pieces (text/event-stream). Thread-safe; calls after
// Finish or after the client went away are ignored.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // Sends the status line and headers (chunked); once.
  virtual void Begin(const HttpResponse& head) = 0;
  // Sends one chunk; false when the client is gone.
  virtual bool Write(std::string chunk) = 0;
  virtual void Finish() = 0;
  // `on_close` runs once when the client disconnects before Finish.
  virtual void OnClientGone(std::function<void()> on_close) = 0;
};

// Answers a request exactly once: either `respond` with a whole response or
// `stream` to stream it. Either may be called from any thread.
struct Exchange {
  std::function<void(HttpResponse)> respond;
  std::function<std::shared_ptr<StreamWriter>()> stream;
};

// The X-Request-Id of a response: the client's own when usable (printable
// ASCII and spaces, 1..256 characters: it goes to logs and backends), else a
// new one.
std::string RequestIdFor(std::string_view sent);

class Handler {
 public:
  virtual ~Handler() = default;
  virtual void Handle(HttpRequest request, Exchange exchange) = 0;
  // Adds to an answer the server gives on its own, for a request it refused
  // before Handle (400 from the parser, 413, 431), what the handler adds to
  // every answer (CORS, so that a browser can read the error). `request`
  // holds the headers read so far, maybe none, and no method or body.
  virtual void DecorateRefusal(const HttpRequest& /*request*/, HttpResponse* /*response*/) const {}
};

}  // namespace agora::gateway
