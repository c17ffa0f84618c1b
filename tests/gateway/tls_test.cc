// The gateway serving HTTPS (AGORA_HTTP_TLS_CERT_FILE, AGORA_HTTP_TLS_KEY_FILE):
// a client that trusts the certificate gets the API over TLS 1.2+, one that
// does not is refused by its own verification, plain HTTP on that port gets
// no answer, TLS 1.1 is refused, and a bad key file stops the start.

#include <sys/wait.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/gateway/system.h"
#include "tests/support/auth.h"
#include "tests/support/http.h"
#include "tests/support/infra.h"
#include "tests/support/process.h"
#include "tests/support/service_process.h"

namespace agora {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using agora::testing::GetInfra;
using agora::testing::System;
using agora::testing::UniqueName;

struct Certificate {
  std::string cert;
  std::string key;
};

// A self-signed certificate for 127.0.0.1, made with the openssl tool.
Certificate SelfSigned() {
  const std::string base = GetInfra().dir + "/" + UniqueName("tls");
  const std::string cmd = absl::StrCat(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=agora-gateway-test "
      "-addext subjectAltName=IP:127.0.0.1 -keyout ", base, ".key -out ", base, ".crt 2>/dev/null");
  REQUIRE(std::system(cmd.c_str()) == 0);
  return {base + ".crt", base + ".key"};
}

struct TlsAnswer {
  int status = 0;
  std::string body;
  std::string error;
};

TlsAnswer HttpsGet(int port, const std::string& target, const std::string& trusted_cert,
                   asio::ssl::context::method method = asio::ssl::context::tls_client) {
  TlsAnswer out;
  try {
    asio::io_context ioc;
    asio::ssl::context ctx(method);
    if (!trusted_cert.empty()) ctx.load_verify_file(trusted_cert);
    ctx.set_verify_mode(asio::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
    stream.set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
    beast::get_lowest_layer(stream).connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                                                    static_cast<uint16_t>(port)));
    stream.handshake(asio::ssl::stream_base::client);
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    out.status = res.result_int();
    out.body = res.body();
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  return out;
}

TEST_CASE("the gateway serves HTTPS with the certificate it is given, and only HTTPS", "[e2e]") {
  System& s = System::Get();
  const Certificate c = SelfSigned();
  const int port = s.ExtraGateway({"--http-tls-cert-file=" + c.cert, "--http-tls-key-file=" + c.key});

  const TlsAnswer ok = HttpsGet(port, "/v1/products?pageSize=1", c.cert);
  INFO(ok.error);
  CHECK(ok.status == 200);
  CHECK(ok.body.find("\"products\"") != std::string::npos);
  CHECK(HttpsGet(port, "/healthz", c.cert).status == 200);

  // A client that does not trust this certificate stops at the handshake.
  const TlsAnswer untrusted = HttpsGet(port, "/healthz", "");
  CHECK(untrusted.status == 0);
  CHECK(untrusted.error.find("certificate verify failed") != std::string::npos);
  // TLS 1.1 is refused.
  CHECK(HttpsGet(port, "/healthz", c.cert, asio::ssl::context::tlsv11_client).status == 0);
  // Plain HTTP on the TLS port: no HTTP answer.
  CHECK(agora::testing::Http(port, "GET", "/healthz").status == 0);
}

TEST_CASE("a gateway whose TLS key cannot be loaded does not start", "[e2e]") {
  const Certificate c = SelfSigned();
  const std::string log = GetInfra().dir + "/" + UniqueName("gateway-badtls") + ".log";
  agora::testing::ChildProcess proc(AGORA_GATEWAY_BINARY,
                                    {"--http-address=127.0.0.1", "--http-port=0",
                                     "--http-tls-cert-file=" + c.cert, "--http-tls-key-file=" + c.cert,
                                     "--jwt-public-key-file=" + agora::testing::TestPublicKeyFile()},
                                    log);
  const int status = proc.Wait();
  const std::string text = agora::testing::ReadFile(log);
  INFO(text);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) != 0);
  CHECK(text.find("AGORA_HTTP_TLS_KEY_FILE") != std::string::npos);
  CHECK(text.find("gateway_ready") == std::string::npos);
}

}  // namespace
}  // namespace agora
