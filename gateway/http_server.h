#pragma once

// HTTP/1.1 server on Boost.Beast: one io_context thread per core, keep-alive,
// and the limits of a public endpoint: body size (413), header size, time to
// send the headers (slow clients are cut off; on a kept-alive connection the
// clock starts at the next request's first byte), idle keep-alive time, time
// to take each write (a client that stops reading is cut off), number of
// connections in all and per client address. Requests the parser refuses (several Content-Length,
// Content-Length with Transfer-Encoding, bad chunking) answer 400 with the
// JSON error body, and the connection closes.
//
// With a certificate and key it serves HTTPS instead (TLS 1.2 and later).
//
// Thread-safe; the handler is called on the I/O threads and must not block.
// An Exchange's `respond` called after the handler returned (from a gRPC
// callback thread) writes a plain-HTTP answer on the calling thread, one
// non-blocking send, and starts the next read there: it never blocks, and
// wakes no I/O thread (what the socket does not take at once, and TLS, go
// through the connection's strand).

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gateway/http_types.h"
#include "gateway/trusted_proxies.h"

namespace agora::gateway {

struct HttpServerOptions {
  std::string address = "0.0.0.0";
  int port = 8080;
  int threads = 2;
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 16 << 10;
  absl::Duration header_timeout = absl::Seconds(10);
  absl::Duration idle_timeout = absl::Seconds(60);
  absl::Duration write_timeout = absl::Seconds(30);
  // A streamed response (the gateway streams only text/event-stream) that
  // has sent nothing for this long gets an SSE comment line, which every
  // SSE reader skips, so that a proxy's idle timeout does not cut a quiet
  // stream. Zero: none.
  absl::Duration stream_heartbeat = absl::Seconds(15);
  int max_connections = 10000;
  // Counted by the connection's peer address, which for a proxy in front is
  // the proxy's.
  int max_connections_per_ip = 256;
  // A request from one of these names its client in X-Forwarded-For:
  // HttpRequest::remote_address is that client.
  TrustedProxies trusted_proxies;
  // Both set: HTTPS only (TLS 1.2+), the PEM certificate chain and its key.
  std::string tls_cert_file;
  std::string tls_key_file;
};

class HttpServer {
 public:
  virtual ~HttpServer() = default;
  virtual int port() const = 0;
  // Stops accepting new connections; open ones go on. Idempotent.
  virtual void StopAccepting() = 0;
  // Stops accepting, closes connections, joins the threads. Idempotent.
  virtual void Stop() = 0;
};

// `handler` is borrowed. UNAVAILABLE when the address cannot be bound.
absl::StatusOr<std::unique_ptr<HttpServer>> StartHttpServer(const HttpServerOptions& options,
                                                            Handler& handler);

}  // namespace agora::gateway
