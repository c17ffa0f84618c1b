#include "runtime/pg/arrays.h"

namespace agora::runtime::pg {

std::string TextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (const char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::string HexArray(const std::vector<std::string>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "{";
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (const char c : bytes[i]) {
      const auto b = static_cast<unsigned char>(c);
      out += kDigits[b >> 4];
      out += kDigits[b & 0x0f];
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::string Int64Array(const std::vector<std::optional<int64_t>>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += values[i].has_value() ? std::to_string(*values[i]) : "NULL";
  }
  out += '}';
  return out;
}

}  // namespace agora::runtime::pg
