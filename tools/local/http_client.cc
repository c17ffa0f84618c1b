#include "tools/local/http_client.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <exception>

namespace agora::local {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

struct HttpClient::Connection {
  boost::asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
};

HttpClient::HttpClient(int port) : port_(port) {}
HttpClient::~HttpClient() = default;

HttpAnswer HttpClient::Call(const std::string& method, const std::string& target, const std::string& token,
                            const std::string& body) {
  HttpAnswer answer;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = conn_ != nullptr;
    try {
      if (!conn_) {
        conn_ = std::make_unique<Connection>();
        conn_->stream.expires_after(std::chrono::seconds(5));
        conn_->stream.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                            static_cast<uint16_t>(port_)));
        conn_->stream.socket().set_option(tcp::no_delay(true));
      }
      http::request<http::string_body> req{http::string_to_verb(method), target, 11};
      req.set(http::field::host, "127.0.0.1");
      if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
      if (!body.empty()) req.set(http::field::content_type, "application/json");
      req.keep_alive(true);
      req.body() = body;
      req.prepare_payload();
      conn_->stream.expires_after(std::chrono::seconds(30));
      http::write(conn_->stream, req);
      http::response<http::string_body> res;
      http::read(conn_->stream, conn_->buffer, res);
      if (!res.keep_alive()) conn_.reset();
      answer.status = res.result_int();
      answer.body = std::move(res.body());
      answer.location = std::string(res[http::field::location]);
      return answer;
    } catch (const std::exception& e) {
      conn_.reset();
      answer.error = e.what();
      // A keep-alive connection the server closed meanwhile: once more on a new one.
      if (!reused) break;
    }
  }
  return answer;
}

}  // namespace agora::local
