#pragma once

// The key a client address is counted under by the per-address limits (the
// gateway's rate limit and connection limit, customers' sign-in throttle).
// An IPv6 client usually holds a whole /64 (one host, one home line), so it
// could take a fresh allowance from each of its 2^64 addresses: IPv6
// addresses are counted by their /64 ("2001:db8:1:2::/64"). An IPv4-mapped
// IPv6 address counts as its IPv4 address; IPv4, and anything that does not
// parse as an address, is its own key.

#include <string>
#include <string_view>

namespace agora::runtime::limits {

std::string AddressBucket(std::string_view address);

}  // namespace agora::runtime::limits
