#include "gateway/json_errors.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "absl/strings/match.h"

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

std::string CheckMessage(const Descriptor* d, const json& v, const std::string& prefix) {
  if (IsWellKnown(d)) return "";
  if (!v.is_object()) return "field '" + prefix + "' must be an object";
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
      if (v.is_number() || (v.is_string() && !absl::StartsWith(v.get_ref<const std::string&>(), "+") &&
                            !v.get_ref<const std::string&>().empty())) {
        return "";
      }
      return "field '" + path + "' must be a number";
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
    const std::string what = e.what();
    const size_t close = what.find("] ");
    return close == std::string::npos ? what : what.substr(close + 2);
  }
  if (!duplicate.empty()) return "key '" + duplicate + "' is given twice";
  return CheckMessage(type, doc, "");
}

}  // namespace agora::gateway
