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

// The name-based (version 5, SHA-1) UUID of `name` in the namespace
// `name_space` (a UUID in canonical form; RFC 4122 section 4.3): the same
// pair always gives the same id. For ids derived from others (a saga's, from
// its order's), never for ids that must not be guessed. An invalid
// `name_space` aborts: it is a constant of the program.
std::string NameUuid(std::string_view name_space, std::string_view name);

// True for the canonical 8-4-4-4-12 hex form (either case).
bool IsUuid(std::string_view text);

}  // namespace agora::runtime::ids
