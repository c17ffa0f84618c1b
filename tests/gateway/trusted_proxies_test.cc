// Which client a request comes from when proxies name it in X-Forwarded-For.

#include "gateway/trusted_proxies.h"

#include <catch2/catch.hpp>

namespace agora::gateway {
namespace {

TrustedProxies Must(const char* list) {
  absl::StatusOr<TrustedProxies> p = TrustedProxies::Parse(list);
  INFO(p.status().ToString());
  REQUIRE(p.ok());
  return *p;
}

TEST_CASE("trusted proxies parse addresses and CIDR networks of both families, and refuse the rest") {
  const TrustedProxies p = Must(" 10.0.0.0/8, 192.168.1.7 ,fd00::/8,::1");
  CHECK(p.Trusts("10.1.2.3"));
  CHECK(p.Trusts("10.255.255.255"));
  CHECK_FALSE(p.Trusts("11.0.0.1"));
  CHECK(p.Trusts("192.168.1.7"));
  CHECK_FALSE(p.Trusts("192.168.1.8"));
  CHECK(p.Trusts("fd12:3456::1"));
  CHECK_FALSE(p.Trusts("fe80::1"));
  CHECK(p.Trusts("::1"));
  CHECK(p.Trusts("::ffff:10.9.9.9"));  // IPv4 mapped into IPv6 is IPv4
  CHECK_FALSE(p.Trusts("not an address"));
  CHECK(Must("172.16.0.0/12").Trusts("172.31.255.1"));
  CHECK_FALSE(Must("172.16.0.0/12").Trusts("172.32.0.1"));
  CHECK(Must("0.0.0.0/0").Trusts("8.8.8.8"));
  CHECK_FALSE(Must("0.0.0.0/0").Trusts("2001:db8::1"));
  CHECK(Must("").empty());
  for (const char* bad : {"10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/x", "example.com", "10.0.0.256",
                          "1.2.3.4, nope"}) {
    INFO(bad);
    const absl::StatusOr<TrustedProxies> p = TrustedProxies::Parse(bad);
    CHECK(p.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("the client is the first untrusted address from X-Forwarded-For's right end, and only a trusted "
          "peer's header counts") {
  const TrustedProxies p = Must("10.0.0.0/8");
  // No proxy configured, an untrusted peer, or no header: the peer.
  CHECK(Must("").ClientAddress("10.0.0.5", "203.0.113.9") == "10.0.0.5");
  CHECK(p.ClientAddress("198.51.100.1", "203.0.113.9") == "198.51.100.1");  // a client naming itself: ignored
  CHECK(p.ClientAddress("10.0.0.5", "") == "10.0.0.5");
  // Behind one proxy.
  CHECK(p.ClientAddress("10.0.0.5", "203.0.113.9") == "203.0.113.9");
  // A client's own (forged) entries are left of what the proxy appended.
  CHECK(p.ClientAddress("10.0.0.5", "1.1.1.1, 203.0.113.9") == "203.0.113.9");
  // Two trusted hops.
  CHECK(p.ClientAddress("10.0.0.5", "203.0.113.9, 10.2.0.1") == "203.0.113.9");
  // All trusted: the leftmost.
  CHECK(p.ClientAddress("10.0.0.5", "10.3.0.1,10.2.0.1") == "10.3.0.1");
  // Ports and brackets, IPv6, spaces.
  CHECK(p.ClientAddress("10.0.0.5", "203.0.113.9:4711") == "203.0.113.9");
  CHECK(p.ClientAddress("10.0.0.5", " [2001:db8::7]:443 ") == "2001:db8::7");
  CHECK(p.ClientAddress("10.0.0.5", "2001:db8::7") == "2001:db8::7");
  CHECK(p.ClientAddress("::ffff:10.0.0.5", "203.0.113.9") == "203.0.113.9");
  // Garbage ends the walk at the trusted hop that wrote it.
  CHECK(p.ClientAddress("10.0.0.5", "203.0.113.9, unknown") == "10.0.0.5");
  CHECK(p.ClientAddress("10.0.0.5", "unknown, 10.2.0.1") == "10.2.0.1");
}

}  // namespace
}  // namespace agora::gateway
