#pragma once

#include <string>
#include <string_view>

namespace agora::runtime::ids {

// A random (version 4) UUID, lowercase with dashes, from OpenSSL's CSPRNG:
// for ids others must not guess. Thread-safe.
std::string NewUuid();

// The same form from a per-thread generator seeded by the OS (absl::BitGen),
// ~10x cheaper: for ids that are only labels (request ids), never for ids
// that grant anything. Thread-safe.
std::string NewLabelUuid();

// True for the canonical 8-4-4-4-12 hex form (either case).
bool IsUuid(std::string_view text);

}  // namespace agora::runtime::ids
