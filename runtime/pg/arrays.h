#pragma once

// PostgreSQL array literals for one-statement batches: a batch's values
// go as a few array parameters and come apart with unnest() in the
// statement, instead of one statement per row.
//
//   pg::Exec(tx, "INSERT INTO t (a, b) SELECT * FROM unnest($1::text[], $2::bigint[])",
//            pg::TextArray(as), pg::Int64Array(bs));
//
// Each function writes a literal of the array type named in its comment;
// the statement casts the parameter to that type.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace agora::runtime::pg {

// text[]: every element quoted, so any text round-trips (quotes, commas,
// braces, backslashes, "NULL").
std::string TextArray(const std::vector<std::string>& values);

// text[] of the bytes' hex digits, to decode(x, 'hex') into bytea in the
// statement (a bytea[] literal would need escaping of its own).
std::string HexArray(const std::vector<std::string>& bytes);

// bigint[]; an empty optional is NULL.
std::string Int64Array(const std::vector<std::optional<int64_t>>& values);

}  // namespace agora::runtime::pg
