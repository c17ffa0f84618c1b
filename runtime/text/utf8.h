#pragma once

// UTF-8 helpers for validation: API.md counts text lengths in code points.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace agora::runtime::text {

// Number of code points in `s`, or nullopt if `s` is not valid UTF-8
// (overlong forms, surrogates and values past U+10FFFF are invalid).
std::optional<size_t> CodePointCount(std::string_view s);

// The code points of `s`, or nullopt if it is not valid UTF-8.
std::optional<std::u32string> Decode(std::string_view s);
// UTF-8 of `code_points` (each a valid scalar value: from Decode).
std::string Encode(std::u32string_view code_points);

// Unicode's White_Space property: ASCII's spaces and controls \t..\r, and
// NEL, no-break space, the typographic spaces, line and paragraph separators.
bool IsWhiteSpace(char32_t c);

}  // namespace agora::runtime::text
