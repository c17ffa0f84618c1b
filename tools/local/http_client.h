#pragma once

// One keep-alive HTTP/1.1 connection to a local gateway, for the load
// generators (bench/saga_bench, tools/chaos/chaos_load). Not thread-safe:
// one per thread. Written over Boost.Beast (the HTTP parsing is Beast's);
// no Debian package offers a synchronous keep-alive client to drive a REST
// API from C++.

#include <memory>
#include <string>

namespace agora::local {

struct HttpAnswer {
  // 0 when no answer came (connection refused, reset, timeout): `error` says why.
  int status = 0;
  std::string body;
  std::string location;  // the Location header, if any
  std::string error;
};

class HttpClient final {
 public:
  explicit HttpClient(int port);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request (bearer token and JSON body optional). A keep-alive
  // connection the server closed is re-opened once; other failures are
  // answered with status 0 (the connection is dropped).
  HttpAnswer Call(const std::string& method, const std::string& target, const std::string& token = "",
                  const std::string& body = "");

 private:
  struct Connection;
  int port_;
  std::unique_ptr<Connection> conn_;
};

}  // namespace agora::local
