#pragma once

// Protobuf's JSON mapping of a message, written straight into a string: the
// same bytes as protobuf 3.21's printer (util::MessageToJsonString) with
// always_print_primitive_fields = true and lowerCamelCase names, which is how
// the gateway renders every answer (gateway/transcoder.h).
//
// Why by hand: protobuf's printer turns the message into binary, then walks
// it against google.protobuf.Type descriptors through a chain of object
// writers (a default-value tree among them), allocating at every step. It was
// 13 % of the gateway's CPU on a product GET (perf, bench/gateway.sh with
// AGORA_BENCH_PERF=1). This printer walks the parsed message by reflection
// and appends. tests/gateway/json_printer_test.cc compares its output byte
// for byte with protobuf's on random messages of every type the gateway
// renders.
//
// What it does not know (map fields, well-known types other than Timestamp
// and Empty) it refuses with UNIMPLEMENTED, and the caller falls back to
// protobuf's printer.

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace agora::gateway {

// Appends the JSON of `message` to `out`. UNIMPLEMENTED for a type it does
// not render (nothing appended: `out` is as it was); INVALID_ARGUMENT for a
// value protobuf's printer refuses too (a Timestamp out of range).
absl::Status AppendJson(const google::protobuf::Message& message, std::string* out);

// Appends `text` (UTF-8) as a JSON string, quoted, escaped as protobuf
// escapes: control characters, '"', '\', '<', '>', DEL, C1 controls and a few
// invisible code points as \uXXXX; bytes that are not UTF-8 are dropped as
// protobuf drops them.
void AppendJsonString(std::string_view text, std::string* out);

}  // namespace agora::gateway
