#include "gateway/request_checks.h"

namespace agora::gateway {

namespace beast = boost::beast;
namespace http = beast::http;

std::optional<Refusal> CheckHeader(const RequestParser& parser, size_t max_body_bytes) {
  const auto& h = parser.get();
  const auto lengths = h.count(http::field::content_length);
  if (lengths > 1 || (lengths == 1 && h.count(http::field::transfer_encoding) > 0)) {
    return Refusal{400, "conflicting Content-Length / Transfer-Encoding"};
  }
  if (lengths == 1 && h[http::field::content_length].find(',') != beast::string_view::npos) {
    return Refusal{400, "several Content-Length values"};
  }
  if (h.count(http::field::transfer_encoding) > 1 ||
      (h.count(http::field::transfer_encoding) == 1 &&
       !beast::iequals(h[http::field::transfer_encoding], "chunked"))) {
    return Refusal{400, "only Transfer-Encoding: chunked is accepted"};
  }
  if (h.version() >= 11 && h.count(http::field::host) != 1) {
    return Refusal{400, "an HTTP/1.1 request needs one Host header"};
  }
  if (const auto len = parser.content_length(); len && *len > max_body_bytes) {
    return Refusal{413, "request body larger than 1 MiB"};
  }
  return std::nullopt;
}

}  // namespace agora::gateway
