#pragma once

#include <string>

namespace agora::testing {

// A plain HTTP/1.1 GET on 127.0.0.1:port; returns the whole response
// (status line, headers, body) or "" when nothing answers.
std::string HttpGet(int port, const std::string& path);

}  // namespace agora::testing
