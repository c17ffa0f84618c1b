#include "tests/support/http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"

namespace agora::testing {

std::string HttpRaw(int port, const std::string& raw, int timeout_ms) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    size_t sent = 0;
    while (sent < raw.size()) {
      // MSG_NOSIGNAL: a server that closes early (413) must not SIGPIPE the test.
      const ssize_t n = ::send(fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    char buf[65536];
    for (;;) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, timeout_ms) <= 0) break;
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return out;
}

HttpResult ParseHttp(const std::string& response) {
  HttpResult r;
  const auto head_end = response.find("\r\n\r\n");
  if (response.size() < 12 || head_end == std::string::npos) return r;
  r.status = std::atoi(response.substr(9, 3).c_str());
  size_t pos = response.find("\r\n") + 2;
  while (pos < head_end) {
    const auto eol = response.find("\r\n", pos);
    const std::string line = response.substr(pos, eol - pos);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      r.headers[absl::AsciiStrToLower(line.substr(0, colon))] =
          std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    }
    pos = eol + 2;
  }
  std::string body = response.substr(head_end + 4);
  if (absl::AsciiStrToLower(r.Header("transfer-encoding")) == "chunked") {
    std::string decoded;
    size_t p = 0;
    for (;;) {
      const auto eol = body.find("\r\n", p);
      if (eol == std::string::npos) break;
      const size_t size = std::strtoul(body.substr(p, eol - p).c_str(), nullptr, 16);
      if (size == 0) break;
      decoded += body.substr(eol + 2, size);
      p = eol + 2 + size + 2;
    }
    body = decoded;
  }
  r.body = body;
  return r;
}

HttpResult Http(int port, const std::string& method, const std::string& target,
                const std::vector<std::pair<std::string, std::string>>& headers,
                const std::string& body) {
  std::string raw = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
  bool has_type = false;
  for (const auto& [k, v] : headers) {
    raw += k + ": " + v + "\r\n";
    has_type |= absl::AsciiStrToLower(k) == "content-type";
  }
  if (!body.empty()) {
    if (!has_type) raw += "Content-Type: application/json\r\n";
    raw += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  raw += "\r\n" + body;
  return ParseHttp(HttpRaw(port, raw));
}

std::string HttpGet(int port, const std::string& path) {
  return HttpRaw(port, "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
}

}  // namespace agora::testing
