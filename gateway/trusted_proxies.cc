#include "gateway/trusted_proxies.h"

#include <boost/asio/ip/address.hpp>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace agora::gateway {
namespace {

namespace ip = boost::asio::ip;

// Debian's Abseil has its own string_view.
absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }
std::string_view Std(absl::string_view s) { return std::string_view(s.data(), s.size()); }

// Asio parses the address; an IPv4-mapped IPv6 one is taken as IPv4.
std::optional<ip::address> ParseAddress(std::string_view text) {
  boost::system::error_code ec;
  const ip::address a = ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return ip::address(ip::make_address_v4(ip::v4_mapped, a.to_v6()));
  return a;
}

// The address's bytes, IPv4 in the first 4.
std::array<uint8_t, 16> BytesOf(const ip::address& a) {
  std::array<uint8_t, 16> bytes{};
  if (a.is_v4()) {
    const auto b = a.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), bytes.begin());
  } else {
    bytes = a.to_v6().to_bytes();
  }
  return bytes;
}

// An X-Forwarded-For entry: an address, or one with a port ("1.2.3.4:80",
// "[::1]:80"), as some proxies write them.
std::optional<ip::address> ParseForwarded(std::string_view entry) {
  entry = Std(absl::StripAsciiWhitespace(Absl(entry)));
  if (!entry.empty() && entry.front() == '[') {
    const size_t close = entry.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    return ParseAddress(entry.substr(1, close - 1));
  }
  if (std::count(entry.begin(), entry.end(), ':') == 1) entry = entry.substr(0, entry.find(':'));
  return ParseAddress(entry);
}

}  // namespace

absl::StatusOr<TrustedProxies> TrustedProxies::Parse(std::string_view list) {
  TrustedProxies proxies;
  for (absl::string_view piece : absl::StrSplit(Absl(list), ',', absl::SkipWhitespace())) {
    const std::string_view entry = Std(absl::StripAsciiWhitespace(piece));
    const size_t slash = entry.find('/');
    const std::optional<ip::address> address = ParseAddress(entry.substr(0, slash));
    int prefix = 0;
    const int max = address.has_value() && address->is_v4() ? 32 : 128;
    const bool prefix_ok = slash == std::string_view::npos
                               ? (prefix = max, true)
                               : absl::SimpleAtoi(Absl(entry.substr(slash + 1)), &prefix) && prefix >= 0 && prefix <= max;
    if (!address.has_value() || !prefix_ok) {
      return absl::InvalidArgumentError(absl::StrCat("not an address or CIDR network: \"", Absl(entry), "\""));
    }
    proxies.networks_.push_back({BytesOf(*address), prefix, address->is_v4()});
  }
  return proxies;
}

bool TrustedProxies::Trusts(std::string_view address) const {
  const std::optional<ip::address> a = ParseAddress(address);
  return a.has_value() && Contains(*a);
}

bool TrustedProxies::Contains(const ip::address& a) const {
  const std::array<uint8_t, 16> bytes = BytesOf(a);
  for (const Network& n : networks_) {
    if (n.v4 != a.is_v4()) continue;
    int bits = n.prefix;
    bool inside = true;
    for (size_t i = 0; inside && bits > 0; ++i, bits -= 8) {
      const uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
      inside = (bytes[i] & mask) == (n.bytes[i] & mask);
    }
    if (inside) return true;
  }
  return false;
}

std::string TrustedProxies::ClientAddress(const std::string& peer, std::string_view forwarded_for) const {
  if (networks_.empty() || forwarded_for.empty() || !Trusts(peer)) return peer;
  std::vector<absl::string_view> hops = absl::StrSplit(Absl(forwarded_for), ',');
  std::string client = peer;
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    const std::optional<ip::address> hop = ParseForwarded(Std(*it));
    if (!hop.has_value()) break;  // garbage: the hop that wrote it is as far as we trust
    client = hop->to_string();
    if (!Contains(*hop)) break;
  }
  return client;
}

}  // namespace agora::gateway
