#pragma once

// The checks a request's header block must pass once Beast has parsed it,
// before its body is read: the request-smuggling guards of API.md (one
// Content-Length of one value, never with Transfer-Encoding, no transfer
// coding but a lone "chunked"), Host on HTTP/1.1, and the body limit.
// Shared by the server (http_server.cc) and the HTTP fuzz target; it is the
// only other file that includes Beast.

#include <boost/beast/http.hpp>
#include <optional>
#include <string>

namespace agora::gateway {

struct Refusal {
  int status;  // 400 or 413
  std::string message;
};

using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// The refusal for a parsed header block, or nullopt when it may go on.
std::optional<Refusal> CheckHeader(const RequestParser& parser, size_t max_body_bytes);

}  // namespace agora::gateway
