#pragma once

// UTF-8 helpers for validation: API.md counts text lengths in code points.

#include <cstddef>
#include <optional>
#include <string_view>

namespace agora::runtime::text {

// Number of code points in `s`, or nullopt if `s` is not valid UTF-8
// (overlong forms, surrogates and values past U+10FFFF are invalid).
std::optional<size_t> CodePointCount(std::string_view s);

}  // namespace agora::runtime::text
