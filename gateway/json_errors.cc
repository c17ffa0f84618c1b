#include "gateway/json_errors.h"

#include <nlohmann/json.hpp>

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
  for (const auto& [key, value] : v.items()) {
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    const FieldDescriptor* f = FindField(d, key);
    if (f == nullptr) continue;  // ignored, as grpc-gateway does
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
      return v.is_string() ? "" : "field '" + path + "' must be a string";
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
      return v.is_number() || v.is_string() ? "" : "field '" + path + "' must be a number";
  }
}

}  // namespace

std::string DescribeJsonError(const std::string& body, const Descriptor* type) {
  const json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return "";
  return CheckMessage(type, doc, "");
}

}  // namespace agora::gateway
