#include "gateway/http_server.h"

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <memory>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>
#include <type_traits>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gateway/error_mapping.h"
#include "gateway/request_checks.h"
#include "runtime/ids/uuid.h"
#include "runtime/limits/address_bucket.h"
#include "runtime/log/log.h"

namespace agora::gateway {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

std::chrono::milliseconds Ms(absl::Duration d) { return absl::ToChronoMilliseconds(d); }

// Connections open, in all and per client address. Thread-safe: accepts run
// on one strand, but sessions end on any I/O thread.
class ConnectionLimits final {
 public:
  // What a new connection gets: served, or answered 429 (its address holds
  // its share) or 503 (the server is full) and closed, or closed at once
  // when even refusals are too many at once.
  enum class Slot { kServe, kRefuseAddress, kRefuseFull, kDrop };
  // Connections being refused at once, beyond the limits: a flood costs at
  // most this many sockets more.
  static constexpr int kMaxRefusing = 1024;

  ConnectionLimits(int total, int per_ip) : total_(total), per_ip_(per_ip) {}
  // Counts the connection unless kDrop; Release(ip, slot) when it ends.
  // `address` is counted under its key (an IPv6 address: its /64).
  Slot Acquire(const std::string& address) {
    const std::string ip = runtime::limits::AddressBucket(address);
    absl::MutexLock lock(&mu_);
    Slot slot = Slot::kServe;
    if (open_ >= total_) slot = Slot::kRefuseFull;
    if (slot == Slot::kServe) {
      if (auto it = by_ip_.find(ip); it != by_ip_.end() && it->second >= per_ip_) slot = Slot::kRefuseAddress;
    }
    if (slot == Slot::kServe) {
      ++by_ip_[ip];
      ++open_;
      return slot;
    }
    if (refusing_ >= kMaxRefusing) return Slot::kDrop;
    ++refusing_;
    return slot;
  }
  void Release(const std::string& address, Slot slot) {
    absl::MutexLock lock(&mu_);
    if (slot != Slot::kServe) {
      --refusing_;
      return;
    }
    --open_;
    const std::string ip = runtime::limits::AddressBucket(address);
    if (auto it = by_ip_.find(ip); it != by_ip_.end() && --it->second <= 0) by_ip_.erase(it);
  }

 private:
  const int total_;
  const int per_ip_;
  absl::Mutex mu_;
  int open_ ABSL_GUARDED_BY(mu_) = 0;
  int refusing_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, int> by_ip_ ABSL_GUARDED_BY(mu_);
};

// A streamed (chunked) response bound to its session.
template <class S>
class ChunkWriter final : public StreamWriter {
 public:
  explicit ChunkWriter(std::shared_ptr<S> session) : session_(std::move(session)) {}
  void Begin(const HttpResponse& head) override { session_->BeginStream(head); }
  bool Write(std::string chunk) override { return session_->WriteChunk(std::move(chunk)); }
  void Finish() override { session_->FinishStream(); }
  void OnClientGone(std::function<void()> on_close) override { session_->SetOnGone(std::move(on_close)); }

 private:
  std::shared_ptr<S> session_;
};

// One connection: plain HTTP (Stream = beast::tcp_stream) or HTTPS (TlsStream,
// the TLS handshake first, under the header timeout).
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;
  using std::enable_shared_from_this<Session<Stream>>::shared_from_this;

 public:
  // `remote` was counted in `limits` by the acceptor under `slot`; released
  // at the end. A refused slot reads no request: it answers 429 or 503.
  Session(Stream stream, std::string remote, const HttpServerOptions& options, Handler& handler,
          ConnectionLimits& limits, ConnectionLimits::Slot slot)
      : stream_(std::move(stream)),
        options_(options),
        handler_(handler),
        limits_(limits),
        remote_(std::move(remote)),
        slot_(slot) {}
  ~Session() { limits_.Release(remote_, slot_); }

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if constexpr (kTls) {
        // A client gets the header time to finish its handshake too.
        self->Lowest().expires_after(Ms(self->options_.header_timeout));
        self->stream_.async_handshake(asio::ssl::stream_base::server, [self](beast::error_code ec) {
          if (ec) return self->Close();
          self->Begin();
        });
      } else {
        self->Begin();
      }
    });
  }

  // ---- streaming (called from any thread)
  void BeginStream(HttpResponse head) {
    asio::post(stream_.get_executor(), [self = shared_from_this(), head = std::move(head)]() mutable {
      if (self->closed_) return;
      self->streaming_ = true;
      std::string out = absl::StrCat("HTTP/1.1 ", head.status, " OK\r\n");
      for (const auto& [k, v] : head.headers) absl::StrAppend(&out, k, ": ", v, "\r\n");
      out += "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
      self->Queue(std::move(out));
      self->WatchForClose();
      self->Heartbeat();
    });
  }
  bool WriteChunk(std::string data) {
    if (gone_.load()) return false;
    asio::post(stream_.get_executor(), [self = shared_from_this(), data = std::move(data)]() mutable {
      if (self->closed_ || data.empty()) return;
      self->QueueChunk(data);
      self->sent_since_beat_ = true;
    });
    return true;
  }
  void FinishStream() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->closed_) return;
      self->finishing_ = true;
      self->Queue("0\r\n\r\n");
    });
  }
  void SetOnGone(std::function<void()> fn) {
    asio::post(stream_.get_executor(), [self = shared_from_this(), fn = std::move(fn)]() mutable {
      if (self->gone_.load()) {
        fn();
      } else {
        self->on_gone_ = std::move(fn);
      }
    });
  }

 private:
  // Over a connection limit the client still gets an answer it can read (a
  // reset would show as "socket hang up"), without its request being read:
  // 429 when its address holds its share of connections, 503 when the
  // server holds all it may; Retry-After either way. Then it lingers.
  void Begin() {
    if (slot_ == ConnectionLimits::Slot::kServe) return Read();
    HttpResponse refusal =
        slot_ == ConnectionLimits::Slot::kRefuseAddress
            ? GatewayError(429, 8, "too many connections from this address; retry later")
            : GatewayError(503, 14, "the server holds all the connections it may; retry later");
    refusal.Set("Retry-After", "1");
    SendAndClose(std::move(refusal));
  }

  void Read() {
    head_ = false;  // per request: a refusal after a HEAD has its body
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    parser_->body_limit(options_.max_body_bytes);
    if (requests_ > 0 && buffer_.size() == 0) {
      // Kept alive: the next request may come within the idle time; from its
      // first byte on, its headers get the header timeout, as the first
      // request's did (else a client could dribble them for the idle time).
      Lowest().expires_after(Ms(options_.idle_timeout));
      stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec,
                                                                                  size_t n) {
        if (ec) return self->Close();
        self->buffer_.commit(n);
        self->ReadHeader();
      });
      return;
    }
    ReadHeader();
  }

  void ReadHeader() {
    Lowest().expires_after(Ms(options_.header_timeout));
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              self->OnHeader(ec);
                            });
  }

  void OnHeader(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
      return Close();
    }
    if (ec == http::error::body_limit) {
      return SendAndClose(GatewayError(413, 3, "request body larger than 1 MiB"));
    }
    if (ec == http::error::header_limit) {
      return SendAndClose(GatewayError(431, 3, "request headers too large"));
    }
    if (ec) return Refuse(ec);
    if (std::optional<Refusal> refusal = CheckHeader(*parser_, options_.max_body_bytes)) {
      return SendAndClose(GatewayError(refusal->status, 3, refusal->message));
    }
    Lowest().expires_after(Ms(options_.header_timeout));
    // A client that asked `Expect: 100-continue` (curl does for large
    // bodies) waits for it before sending the body, about a second, unless
    // told to go on. A refusal from the headers (413 above) is sent instead,
    // and the body never comes. Nothing of the body here yet: it waits.
    const auto expect = parser_->get()[http::field::expect];
    if (!parser_->is_done() && buffer_.size() == 0 && parser_->get().version() == 11 &&
        beast::iequals(expect, "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = shared_from_this()](beast::error_code e, size_t) {
                          if (e) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code e, size_t) {
      self->OnBody(e);
    });
  }

  void OnBody(beast::error_code ec) {
    if (ec == http::error::body_limit) return SendAndClose(GatewayError(413, 3, "request body larger than 1 MiB"));
    if (ec == beast::error::timeout || ec == asio::error::connection_reset) return Close();
    if (ec) return Refuse(ec);
    Lowest().expires_never();
    ++requests_;
    http::request<http::string_body> req = parser_->release();
    keep_alive_ = req.keep_alive();
    head_ = req.method() == http::verb::head;
    HttpRequest r;
    r.method = std::string(req.method_string());
    const std::string_view target(req.target().data(), req.target().size());
    const auto q = target.find('?');
    r.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) r.query = std::string(target.substr(q + 1));
    r.headers.reserve(16);
    for (const auto& f : req) {
      r.headers.emplace_back(absl::AsciiStrToLower(absl::string_view(f.name_string().data(), f.name_string().size())),
                             std::string(f.value()));
    }
    r.body = std::move(req.body());
    r.remote_address = remote_;
    if (!options_.trusted_proxies.empty()) {
      // Every X-Forwarded-For line, in order, as one list.
      std::string forwarded;
      for (const auto& [name, value] : r.headers) {
        if (name != "x-forwarded-for") continue;
        if (!forwarded.empty()) forwarded += ',';
        forwarded += value;
      }
      r.remote_address = options_.trusted_proxies.ClientAddress(remote_, forwarded);
    }
    auto self = shared_from_this();
    Exchange exchange;
    exchange.respond = [self](HttpResponse response) { self->Respond(std::move(response)); };
    exchange.stream = [self]() -> std::shared_ptr<StreamWriter> {
      return std::make_shared<ChunkWriter<Session>>(self);
    };
    respond_state_.store(kHandling, std::memory_order_relaxed);
    handler_.Handle(std::move(r), std::move(exchange));
    // Answered while the handler ran (on this thread or another): sent here.
    if (respond_state_.exchange(kReturned, std::memory_order_acq_rel) == kResponded) Send(*std::move(parked_));
  }

  // The handler's answer, from any thread. While OnBody still runs (the
  // handler answered before returning) it parks the response for OnBody;
  // after, nothing is pending on the connection (the read completed, the
  // timer is off), so the answering thread (a gRPC callback thread) owns the
  // session and writes the response itself: over plain TCP, straight to the
  // socket, which saves waking an I/O thread for every request. TLS goes
  // through the connection's strand, as before.
  void Respond(HttpResponse response) {
    parked_ = std::move(response);
    if (respond_state_.exchange(kResponded, std::memory_order_acq_rel) == kHandling) return;
    if constexpr (kTls) {
      asio::post(stream_.get_executor(), [self = shared_from_this()]() mutable { self->Send(*std::move(self->parked_)); });
    } else {
      SendDirect(*std::move(parked_));
    }
  }

  void Refuse(beast::error_code ec) {
    SendAndClose(GatewayError(400, 3, absl::StrCat("malformed HTTP request: ", ec.message())));
  }

  // Answers refused before the handler saw the request (parser errors,
  // 413, 431) still carry the request id, the client's when it got that far.
  void SendAndClose(HttpResponse response) {
    keep_alive_ = false;
    linger_ = true;
    std::string_view sent;
    HttpRequest read;
    if (parser_) {
      const auto& header = parser_->get();
      const auto v = header["X-Request-Id"];
      sent = std::string_view(v.data(), v.size());
      if (const auto origin = header.find(http::field::origin); origin != header.end()) {
        read.headers.emplace_back("origin", std::string(origin->value()));
      }
    }
    response.Set("X-Request-Id", RequestIdFor(sent));
    handler_.DecorateRefusal(read, &response);
    Send(std::move(response));
  }

  http::response<http::string_body> Prepare(HttpResponse response) const {
    http::response<http::string_body> res;
    res.version(11);
    res.result(static_cast<unsigned>(response.status));
    for (auto& [k, v] : response.headers) res.insert(k, v);
    res.body() = std::move(response.body);
    res.keep_alive(keep_alive_);
    res.prepare_payload();
    if (head_) res.body().clear();  // HEAD: GET's headers, Content-Length included, no body
    return res;
  }

  // A whole response written (or the write failed): the next request, or
  // the end of the connection.
  void Written(beast::error_code ec) {
    if (!ec && linger_) return Linger();
    if (ec || !keep_alive_) return Close();
    Read();
  }

  // A refusal sent before the request was read whole (413 on its
  // Content-Length, 431, a parser error): the client is most likely still
  // sending its body. Closing now would leave that unread, and the kernel
  // answers unread data with a reset, which makes the client's write fail
  // (EPIPE) and can destroy the answer in its receive buffer before it reads
  // it: fetch and Node's http reported "EPIPE" instead of the 413. So, as
  // nginx's lingering close does, the answer is followed by our FIN, and what
  // the client still sends is read and dropped until it closes, pauses for
  // 2 s, sends 16 MiB more or 10 s have passed; then the connection closes.
  void Linger() {
    beast::error_code ec;
    if constexpr (!kTls) Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return Close();
    // A refused connection (over a limit) gets less: it reads a short request.
    const bool refused = slot_ != ConnectionLimits::Slot::kServe;
    linger_until_ = std::chrono::steady_clock::now() + std::chrono::seconds(refused ? 2 : 10);
    discard_ = std::make_unique<std::array<char, 16384>>();
    Discard();
  }
  void Discard() {
    const auto left = linger_until_ - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero() || discarded_ > (16u << 20)) return Close();
    Lowest().expires_after(std::min<std::chrono::steady_clock::duration>(left, std::chrono::seconds(2)));
    stream_.async_read_some(asio::buffer(*discard_), [self = shared_from_this()](beast::error_code ec, size_t n) {
      if (ec) return self->Close();
      self->discarded_ += n;
      self->Discard();
    });
  }

  // Plain TCP only, on the thread that owns the idle session (Respond): the
  // whole response in one nonblocking send, and the next request's read
  // started from here. What the socket does not take at once (a slow
  // reader) is written by the strand with the write timeout, as Send does.
  void SendDirect(HttpResponse response) {
    if (closed_) return;
    http::response<http::string_body> res = Prepare(std::move(response));
    std::string out;
    http::response_serializer<http::string_body> sr{res};
    beast::error_code ec;
    do {
      sr.next(ec, [&](beast::error_code&, const auto& buffers) {
        for (const auto b : beast::buffers_range_ref(buffers)) out.append(static_cast<const char*>(b.data()), b.size());
        sr.consume(beast::buffer_bytes(buffers));
      });
    } while (!ec && !sr.is_done());
    if (ec) return Close();
    const ssize_t n = ::send(Lowest().socket().native_handle(), out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return Close();
    const size_t sent = n < 0 ? 0 : static_cast<size_t>(n);
    if (sent == out.size()) return Written({});
    auto rest = std::make_shared<std::string>(out.substr(sent));
    asio::post(stream_.get_executor(), [self = shared_from_this(), rest] {
      if (self->closed_) return;
      self->Lowest().expires_after(Ms(self->options_.write_timeout));
      asio::async_write(self->stream_, asio::buffer(*rest),
                        [self, rest](beast::error_code e, size_t) { self->Written(e); });
    });
  }

  void Send(HttpResponse response) {
    if (closed_) return;
    auto res = std::make_shared<http::response<http::string_body>>(Prepare(std::move(response)));
    Lowest().expires_after(Ms(options_.write_timeout));  // a client that stops reading is cut off
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) { self->Written(ec); });
  }

  void QueueChunk(const std::string& data) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    Queue(absl::StrCat(size, data, "\r\n"));
  }
  // Every stream_heartbeat, a comment if the stream sent nothing since the
  // last tick. Runs on the session's executor, as every write does; Close
  // cancels it.
  void Heartbeat() {
    if (options_.stream_heartbeat <= absl::ZeroDuration() || closed_) return;
    if (!heartbeat_.has_value()) heartbeat_.emplace(stream_.get_executor());
    heartbeat_->expires_after(Ms(options_.stream_heartbeat));
    heartbeat_->async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_ || self->finishing_) return;
      if (!self->sent_since_beat_) self->QueueChunk(": keep-alive\n\n");
      self->sent_since_beat_ = false;
      self->Heartbeat();
    });
  }

  // Raw writes of a streamed response, one at a time, in order.
  void Queue(std::string data) {
    pending_.push_back(std::move(data));
    if (pending_.size() == 1) WriteNext();
  }
  void WriteNext() {
    Lowest().expires_after(Ms(options_.write_timeout));
    asio::async_write(stream_, asio::buffer(pending_.front()),
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        self->Lowest().expires_never();  // a quiet stream is not a slow reader
                        self->pending_.erase(self->pending_.begin());
                        if (ec) return self->Gone();
                        if (!self->pending_.empty()) return self->WriteNext();
                        if (self->finishing_) self->Close();
                      });
  }
  // While streaming, a read completing (data or EOF) means the client left.
  // (Over TLS, bytes arriving are the client's close_notify or its FIN.)
  void WatchForClose() {
    Lowest().expires_never();
    Lowest().socket().async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
      if (ec == asio::error::operation_aborted) return;
      self->Gone();
    });
  }
  void Gone() {
    if (gone_.exchange(true)) return;
    if (on_gone_) on_gone_();
    Close();
  }

  // Over TLS too the socket just closes (no close_notify): every response
  // is delimited by its length or its final chunk, so a client cannot
  // mistake a truncation for an end.
  void Close() {
    if (closed_) return;
    closed_ = true;
    if (heartbeat_.has_value()) heartbeat_->cancel();
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().socket().close(ec);
    if (streaming_ && !gone_.exchange(true) && on_gone_) on_gone_();
  }

  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  Stream stream_;
  const HttpServerOptions& options_;
  Handler& handler_;
  ConnectionLimits& limits_;
  const std::string remote_;
  const ConnectionLimits::Slot slot_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keep_alive_ = true;
  bool head_ = false;
  bool closed_ = false;
  bool streaming_ = false;
  bool finishing_ = false;
  std::atomic<bool> gone_{false};
  std::function<void()> on_gone_;
  std::vector<std::string> pending_;
  std::optional<asio::steady_timer> heartbeat_;
  bool sent_since_beat_ = false;
  int64_t requests_ = 0;
  // Linger: after a refusal, what the client still sends is read and dropped.
  bool linger_ = false;
  std::chrono::steady_clock::time_point linger_until_;
  std::unique_ptr<std::array<char, 16384>> discard_;
  size_t discarded_ = 0;
  // Respond's hand-over with OnBody (see Respond).
  static constexpr int kHandling = 0, kReturned = 1, kResponded = 2;
  std::atomic<int> respond_state_{kReturned};
  std::optional<HttpResponse> parked_;

};

class BeastServer final : public HttpServer {
 public:
  BeastServer(const HttpServerOptions& options, Handler& handler)
      : options_(options),
        handler_(handler),
        limits_(options.max_connections, options.max_connections_per_ip),
        ioc_(options.threads),
        acceptor_(ioc_) {}
  ~BeastServer() override { Stop(); }

  absl::Status Listen() {
    if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
      if (absl::Status s = LoadTls(); !s.ok()) return s;
    }
    beast::error_code ec;
    tcp::endpoint endpoint(asio::ip::make_address(options_.address, ec),
                           static_cast<unsigned short>(options_.port));
    if (ec) return absl::InvalidArgumentError(absl::StrCat("bad listen address ", options_.address));
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.address, ":",
                                                 options_.port, ": ", ec.message()));
    }
    port_ = acceptor_.local_endpoint().port();
    Accept();
    for (int i = 0; i < options_.threads; ++i) {
      threads_.emplace_back([this] {
        runtime::log::NameThisThread("http-io");
        ioc_.run();
      });
    }
    return absl::OkStatus();
  }

  int port() const override { return port_; }

  void StopAccepting() override {
    asio::post(ioc_, [this] {
      beast::error_code ec;
      acceptor_.close(ec);
    });
  }

  void Stop() override {
    if (stopped_.exchange(true)) return;
    StopAccepting();
    ioc_.stop();
    for (auto& t : threads_) t.join();
  }

 private:
  void Accept() {
    acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        beast::error_code peer_ec;
        const auto peer = socket.remote_endpoint(peer_ec);
        std::string remote = peer_ec ? std::string() : peer.address().to_string();
        const ConnectionLimits::Slot slot = peer_ec ? ConnectionLimits::Slot::kDrop : limits_.Acquire(remote);
        if (slot == ConnectionLimits::Slot::kDrop) {
          beast::error_code ignored;
          socket.close(ignored);
        } else if (tls_) {
          std::make_shared<Session<TlsStream>>(TlsStream(std::move(socket), *tls_), std::move(remote), options_,
                                               handler_, limits_, slot)
              ->Start();
        } else {
          std::make_shared<Session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), std::move(remote),
                                                       options_, handler_, limits_, slot)
              ->Start();
        }
      }
      Accept();
    });
  }

  // TLS 1.2 and later only, with the certificate chain and key of the
  // options (PEM files); INVALID_ARGUMENT naming the file that fails.
  absl::Status LoadTls() {
    if (options_.tls_cert_file.empty() || options_.tls_key_file.empty()) {
      return absl::InvalidArgumentError("TLS needs both AGORA_HTTP_TLS_CERT_FILE and AGORA_HTTP_TLS_KEY_FILE");
    }
    tls_.emplace(asio::ssl::context::tls_server);
    tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                      asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
    beast::error_code ec;
    tls_->use_certificate_chain_file(options_.tls_cert_file, ec);
    if (ec) {
      return absl::InvalidArgumentError(absl::StrCat("AGORA_HTTP_TLS_CERT_FILE ", options_.tls_cert_file, ": ", ec.message()));
    }
    tls_->use_private_key_file(options_.tls_key_file, asio::ssl::context::pem, ec);
    if (ec) {
      return absl::InvalidArgumentError(absl::StrCat("AGORA_HTTP_TLS_KEY_FILE ", options_.tls_key_file, ": ", ec.message()));
    }
    return absl::OkStatus();
  }

  const HttpServerOptions options_;
  Handler& handler_;
  ConnectionLimits limits_;
  std::optional<asio::ssl::context> tls_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::atomic<bool> stopped_{false};
  int port_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> StartHttpServer(const HttpServerOptions& options,
                                                            Handler& handler) {
  auto server = std::make_unique<BeastServer>(options, handler);
  if (absl::Status s = server->Listen(); !s.ok()) return s;
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace agora::gateway
