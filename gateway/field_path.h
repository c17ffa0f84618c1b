#pragma once

// Setting request fields from URL text: path variables and query parameters,
// as grpc-gateway and Envoy's gRPC-JSON transcoder do. Pure functions over
// protobuf reflection: they work on generated and dynamic messages alike.
//
// Thread safety: every function is thread-compatible (a message must not be
// written by two threads at once); none keeps state.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace google::protobuf {
class Descriptor;
class FieldDescriptor;
class Message;
}  // namespace google::protobuf

namespace agora::gateway {

// Sets the field named by `path` in `message` from `value`.
//
// `path` is a dotted field path ("page_size", "pageSize", "product.id"); each
// segment is the proto name (snake_case) or the JSON name (lowerCamelCase).
// Intermediate messages are created; a repeated leaf gets `value` appended.
//
// Values:
//   string          as is (must be valid UTF-8)
//   bytes           base64, standard or URL-safe alphabet, padding optional
//   int32/int64/uint32/uint64/sint*/fixed*/sfixed*
//                   decimal, nothing else (no '+', spaces, exponent or hex)
//   double/float    decimal or exponent form; "NaN", "Infinity", "-Infinity"
//   bool            "true"/"false"/"1"/"0"
//   enum            the value name, exactly ("PENDING"), or its number ("1")
//   google.protobuf.Timestamp  RFC 3339 ("2024-01-02T03:04:05Z")
//   google.protobuf.Duration   "1.5s"
//   google.protobuf.*Value (wrappers)  like the wrapped scalar
//
// Errors, all INVALID_ARGUMENT, the message naming the parameter as the client
// wrote it (`path`) and the value when it is short printable ASCII:
//   - unknown field: "unknown <noun> '<path>'" (`noun` describes where the
//     text came from: "query parameter" by default, "path variable", ...);
//   - a path through a repeated or map field, a message-typed leaf (other
//     than the well-known types above) or a map leaf;
//   - a value that does not parse or is out of range for the field's type,
//     e.g. "invalid value 'abc' for pageSize: not an integer", "invalid value
//     '2147483648' for pageSize: out of range for int32";
//   - an unknown enum name or number: "unknown value 'FOO' for status".
// The value is parsed before anything is written: on error `message` is
// unchanged.
absl::Status SetFieldFromText(google::protobuf::Message* message, std::string_view path,
                              std::string_view value, std::string_view noun = "query parameter");

// The field descriptors along a dotted `path` of `descriptor` (proto or JSON
// names), outermost first; for conflict checks and OpenAPI. No type checks
// beyond "a non-final segment must be a message". NOT_FOUND naming the
// segment when one is unknown (an empty segment included); INVALID_ARGUMENT
// when `descriptor` is null.
absl::StatusOr<std::vector<const google::protobuf::FieldDescriptor*>> ResolveFieldPath(
    const google::protobuf::Descriptor* descriptor, std::string_view path);

// Decodes %XX escapes (either hex case) of a path segment or a query
// component; with `plus_is_space` (queries) '+' becomes ' '. The result holds
// raw bytes: it is not checked for UTF-8. INVALID_ARGUMENT on a '%' that is
// not followed by two hex digits.
absl::StatusOr<std::string> PercentDecode(std::string_view text, bool plus_is_space);

// Applies a query string (without the '?': "a=1&b.c=2&ids=x&ids=y") to
// `message`, each parameter as SetFieldFromText with noun "query parameter".
//
// - Names and values are percent-decoded, '+' as a space. A parameter without
//   '=' has the empty value; empty pieces ("a=1&&b=2") and empty names are
//   skipped.
// - Parameters whose field path equals or lies under an entry of `bound` are
//   ignored, as grpc-gateway does: `bound` lists the fields already set from
//   the path or the body, as proto-name paths (Binding::variables, the body
//   field). An entry "*" ignores every parameter.
// - An empty value sets "" for string and bytes fields and leaves numbers,
//   bools and enums unset ("?pageSize=&status=" is a form left empty).
// - A repeated field takes every occurrence in order; a singular one given
//   twice (under either spelling) is INVALID_ARGUMENT, as in grpc-gateway.
// - A parameter that names no field is ignored, as grpc-gateway does (cache
//   busters, utm_* tags); a known one with a bad value is INVALID_ARGUMENT.
// The first error is returned; fields set before it stay set.
absl::Status ApplyQueryString(google::protobuf::Message* message, std::string_view query,
                              const std::vector<std::string>& bound);

}  // namespace agora::gateway
