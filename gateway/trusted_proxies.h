#pragma once

// The peers that may name the client in X-Forwarded-For: the load balancer
// or ingress controller in front of the gateway. Behind one, every
// connection comes from the proxy's address; per-client limits (the
// gateway's rate limit, customers' sign-in throttle by address) need the
// address the proxy saw. A header from anyone else is ignored: a client
// cannot pick its own address.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace boost::asio::ip {
class address;
}  // namespace boost::asio::ip

namespace agora::gateway {

class TrustedProxies {
 public:
  // Comma-separated addresses and CIDR networks, IPv4 or IPv6
  // ("10.0.0.0/8, fd00::/8, 192.168.1.7"); "" trusts no one.
  // INVALID_ARGUMENT naming the entry that is neither.
  static absl::StatusOr<TrustedProxies> Parse(std::string_view list);

  bool empty() const { return networks_.empty(); }
  // Whether `address` (as a socket or X-Forwarded-For writes it; an IPv4
  // address mapped into IPv6 counts as IPv4) is in a trusted network.
  bool Trusts(std::string_view address) const;

  // The client behind `peer`: `peer` itself unless trusted; else read from
  // the right end of `forwarded_for` (each proxy appends the address it saw),
  // the first address not trusted, or the leftmost when all are. An entry
  // that is not an address ends the walk at the hop that wrote it.
  std::string ClientAddress(const std::string& peer, std::string_view forwarded_for) const;

 private:
  bool Contains(const boost::asio::ip::address& a) const;

  struct Network {
    std::array<uint8_t, 16> bytes{};  // IPv4 in the first 4
    int prefix = 0;                   // bits
    bool v4 = false;
  };
  std::vector<Network> networks_;
};

}  // namespace agora::gateway
