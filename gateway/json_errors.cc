#include "gateway/json_errors.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"

namespace agora::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using json = nlohmann::json;

const FieldDescriptor* FindField(const Descriptor* d, const std::string& key) {
  if (const FieldDescriptor* f = d->FindFieldByName(key)) return f;
  for (int i = 0; i < d->field_count(); ++i) {
    if (d->field(i)->json_name() == key) return d->field(i);
  }
  return nullptr;
}

bool IsWellKnown(const Descriptor* d) { return d->file()->package() == "google.protobuf"; }

std::string CheckValue(const FieldDescriptor* f, const json& v, const std::string& path);
bool IntegerFits(const FieldDescriptor* f, const json& v);
std::string IntegerKind(const FieldDescriptor* f);

std::string CheckMessage(const Descriptor* d, const json& v, const std::string& prefix) {
  if (IsWellKnown(d)) return "";
  if (!v.is_object()) {
    return prefix.empty() ? "the body must be a JSON object" : "field '" + prefix + "' must be an object";
  }
  std::vector<const FieldDescriptor*> seen;
  for (const auto& [key, value] : v.items()) {
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    const FieldDescriptor* f = FindField(d, key);
    if (f == nullptr) continue;  // ignored, as grpc-gateway does
    // One field under its proto name and its JSON name ("amount_cents" and
    // "amountCents"): protojson refuses the second as a duplicate.
    if (std::find(seen.begin(), seen.end(), f) != seen.end()) {
      return "field '" + (prefix.empty() ? f->json_name() : prefix + "." + f->json_name()) + "' is given twice";
    }
    seen.push_back(f);
    if (value.is_null()) continue;
    if (f->is_map()) continue;
    if (f->is_repeated()) {
      if (!value.is_array()) return "field '" + path + "' must be an array";
      for (size_t i = 0; i < value.size(); ++i) {
        const std::string element = path + "[" + std::to_string(i) + "]";
        if (value[i].is_null()) return "field '" + element + "' must not be null";
        std::string e = CheckValue(f, value[i], element);
        if (!e.empty()) return e;
      }
      continue;
    }
    std::string e = CheckValue(f, value, path);
    if (!e.empty()) return e;
  }
  return "";
}

std::string CheckValue(const FieldDescriptor* f, const json& v, const std::string& path) {
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return CheckMessage(f->message_type(), v, path);
    case FieldDescriptor::CPPTYPE_STRING:
      if (!v.is_string()) return "field '" + path + "' must be a string";
      // PostgreSQL's text cannot hold U+0000: libpq would cut the value
      // there, and the rest would be lost without a word.
      return v.get_ref<const std::string&>().find('\0') == std::string::npos
                 ? ""
                 : "field '" + path + "' must not contain U+0000";
    case FieldDescriptor::CPPTYPE_BOOL:
      return v.is_boolean() ? "" : "field '" + path + "' must be true or false";
    case FieldDescriptor::CPPTYPE_ENUM:
      if (v.is_string()) {
        return f->enum_type()->FindValueByName(v.get<std::string>()) != nullptr
                   ? ""
                   : "field '" + path + "' has no value '" + v.get<std::string>() + "'";
      }
      return v.is_number_integer() ? "" : "field '" + path + "' must be one of its names";
    default:  // numbers: JSON numbers or numeric strings (64-bit)
      // A string must hold a JSON number, as protojson reads it: "+5" is not one.
      if (!v.is_number() && !(v.is_string() && !absl::StartsWith(v.get_ref<const std::string&>(), "+") &&
                              !v.get_ref<const std::string&>().empty())) {
        return "field '" + path + "' must be a number";
      }
      // An integer field's value is checked here too: protobuf's message
      // names no field ("invalid value 1.5 for type TYPE_INT64").
      return IntegerFits(f, v) ? "" : "field '" + path + "' must be " + IntegerKind(f);
  }
}

// A whole number within the field's type, as protobuf 3.21's JSON parser
// reads one: a number whose value is whole (2.0 and 1e2 are; 1.5 is not), or
// a string of decimal digits with an optional sign and nothing else ("1e2",
// " 100", "0x10" and "3.0" are not: protobuf refuses them with a message that
// names no field).
bool IntegerFits(const FieldDescriptor* f, const json& v) {
  int64_t lowest = 0;
  uint64_t highest = 0;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: lowest = INT32_MIN, highest = INT32_MAX; break;
    case FieldDescriptor::CPPTYPE_UINT32: highest = UINT32_MAX; break;
    case FieldDescriptor::CPPTYPE_INT64: lowest = INT64_MIN, highest = INT64_MAX; break;
    case FieldDescriptor::CPPTYPE_UINT64: highest = UINT64_MAX; break;
    default: return true;  // float and double: any number
  }
  const auto fits_signed = [&](int64_t i) {
    return i >= lowest && (i < 0 || static_cast<uint64_t>(i) <= highest);
  };
  if (v.is_number_unsigned()) return v.get<uint64_t>() <= highest;
  if (v.is_number_integer()) return fits_signed(v.get<int64_t>());
  if (v.is_string()) {
    const std::string& text = v.get_ref<const std::string&>();
    const size_t digits = !text.empty() && (text[0] == '-' || text[0] == '+') ? 1 : 0;
    if (text.size() == digits ||
        !std::all_of(text.begin() + static_cast<std::ptrdiff_t>(digits), text.end(),
                     [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    if (int64_t i = 0; absl::SimpleAtoi(text, &i)) return fits_signed(i);
    if (uint64_t u = 0; absl::SimpleAtoi(text, &u)) return u <= highest;
  }
  // A fraction, an exponent, or an integer beyond 64 bits: as a double.
  double d = 0;
  if (v.is_number_float()) {
    d = v.get<double>();
  } else if (!v.is_string() || !absl::SimpleAtod(v.get_ref<const std::string&>(), &d)) {
    return false;
  }
  if (!std::isfinite(d) || std::floor(d) != d || d < static_cast<double>(lowest)) return false;
  // 2^63 and 2^64 are exact as doubles; INT64_MAX and UINT64_MAX are not.
  if (highest == UINT64_MAX) return d < 18446744073709551616.0;
  if (highest == INT64_MAX) return d < 9223372036854775808.0;
  return d <= static_cast<double>(highest);
}

std::string IntegerKind(const FieldDescriptor* f) {
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: return "a whole number from -2147483648 to 2147483647";
    case FieldDescriptor::CPPTYPE_UINT32: return "a whole number from 0 to 4294967295";
    case FieldDescriptor::CPPTYPE_UINT64: return "a whole number from 0 to 18446744073709551615";
    default: return "a whole number from -9223372036854775808 to 9223372036854775807";
  }
}

}  // namespace

std::string DescribeJsonError(const std::string& body, const Descriptor* type) {
  // RFC 8259 lets a parser ignore a byte order mark; protojson does not.
  if (body.rfind("\xEF\xBB\xBF", 0) == 0) return "a byte order mark is not allowed";
  // A key given twice in one object (the parser would keep the last).
  std::vector<std::set<std::string>> keys;
  std::string duplicate;
  const json::parser_callback_t on_event = [&](int /*depth*/, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      keys.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      if (!keys.empty()) keys.pop_back();
    } else if (event == json::parse_event_t::key && !keys.empty() && duplicate.empty()) {
      const std::string& key = parsed.get_ref<const std::string&>();
      if (!keys.back().insert(key).second) duplicate = key;
    }
    return true;
  };
  json doc;
  try {
    // Strict RFC 8259: no comments, trailing commas, single quotes or bare
    // keys, all of which protobuf 3.21's own parser lets through.
    doc = json::parse(body, on_event, /*allow_exceptions=*/true, /*ignore_comments=*/false);
  } catch (const json::exception& e) {
    // A syntax error ("[json.exception.parse_error.101] parse error at line
    // 1, column 17: syntax error while parsing object key - unexpected '}';
    // expected string literal") or a number beyond a double
    // ("[json.exception.out_of_range.406] number overflow parsing '1e999'",
    // found by transcoder_fuzz): the part after the bracketed id.
    // The parser's "; last read: '...'" quotes the token it was reading,
    // which can be the whole of a long string: the position says where, so
    // the client's bytes are not sent back. A number overflow quotes the
    // number; a long one is cut.
    std::string what = e.what();
    if (const size_t close = what.find("] "); close != std::string::npos) what.erase(0, close + 2);
    if (const size_t last = what.find("; last read:"); last != std::string::npos) what.erase(last);
    constexpr size_t kMaxMessage = 160;
    if (what.size() > kMaxMessage) what = what.substr(0, kMaxMessage - 3) + "...";
    return what;
  }
  if (!duplicate.empty()) return "key '" + duplicate + "' is given twice";
  return CheckMessage(type, doc, "");
}

}  // namespace agora::gateway
