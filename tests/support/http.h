#pragma once

// A plain HTTP/1.1 client for tests, over a raw socket so that tests can send
// exactly the bytes they mean (malformed requests included).

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace agora::testing {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;                             // de-chunked
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// Sends `raw` to 127.0.0.1:port and reads until the server closes (or
// `timeout_ms`); returns everything received.
std::string HttpRaw(int port, const std::string& raw, int timeout_ms = 10000);

// One request with Connection: close; Content-Length set when there is a body.
HttpResult Http(int port, const std::string& method, const std::string& target,
                const std::vector<std::pair<std::string, std::string>>& headers = {},
                const std::string& body = "");

// Parses a response as HttpRaw returned it.
HttpResult ParseHttp(const std::string& response);

// A plain HTTP/1.1 GET; returns the whole response ("" when nothing answers).
std::string HttpGet(int port, const std::string& path);

}  // namespace agora::testing
