#pragma once

#include <string>
#include <string_view>

namespace agora::runtime::ids {

// A random (version 4) UUID, lowercase with dashes. Thread-safe.
std::string NewUuid();

// True for the canonical 8-4-4-4-12 hex form (either case).
bool IsUuid(std::string_view text);

}  // namespace agora::runtime::ids
