#pragma once

// Refresh tokens: opaque, 256 random bits, stored only as their SHA-256.

#include <string>

namespace agora::customers {

// "rt1_" + base64url(32 random bytes).
std::string NewRefreshToken();
// The 32-byte SHA-256 of a token, the only form that is stored.
std::string HashRefreshToken(const std::string& token);

}  // namespace agora::customers
