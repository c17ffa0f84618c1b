#include "gateway/field_path.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <system_error>
#include <type_traits>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/time_util.h"
#include "runtime/text/utf8.h"

namespace agora::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

using FieldChain = absl::InlinedVector<const FieldDescriptor*, 4>;

// Debian's Abseil has its own string_view: StrCat & co. do not take ours.
absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Linear scans instead of Descriptor::FindFieldByName: that one takes a
// std::string (an allocation per lookup) and knows nothing of JSON names.
// Messages here have a handful of fields. A proto name wins over another
// field's JSON name.
const FieldDescriptor* FindField(const Descriptor* d, std::string_view name) {
  for (int i = 0; i < d->field_count(); ++i) {
    if (d->field(i)->name() == name) return d->field(i);
  }
  for (int i = 0; i < d->field_count(); ++i) {
    if (d->field(i)->json_name() == name) return d->field(i);
  }
  return nullptr;
}

// Fills `chain` with the fields along `path`; false (with the segment in
// `bad`) when a segment is unknown or follows a non-message field.
bool Resolve(const Descriptor* d, std::string_view path, FieldChain* chain, std::string_view* bad) {
  chain->clear();
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string_view segment =
        path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    const FieldDescriptor* field = d == nullptr ? nullptr : FindField(d, segment);
    if (field == nullptr) {
      *bad = segment;
      return false;
    }
    chain->push_back(field);
    if (dot == std::string_view::npos) return true;
    d = field->message_type();  // null for a scalar: its next segment is unknown
    start = dot + 1;
  }
}

// The value, quoted, for an error message, when it is short printable ASCII:
// anything else (binary, huge, invalid UTF-8) is left out of the message.
std::string Shown(std::string_view value) {
  if (value.size() > 64) return "";
  for (const char c : value) {
    if (c < 0x20 || c > 0x7e) return "";
  }
  return absl::StrCat(" '", Av(value), "'");
}

absl::Status BadValue(std::string_view path, std::string_view value, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid value", Shown(value), " for ", Av(path), ": ", Av(why)));
}

// A parsed value, before anything is written into the message.
struct Parsed {
  int64_t i64 = 0;
  uint64_t u64 = 0;
  double f64 = 0;
  float f32 = 0;
  bool b = false;
  const EnumValueDescriptor* enum_value = nullptr;
  std::string text;
  int64_t seconds = 0;  // Timestamp, Duration
  int32_t nanos = 0;
};

enum class Kind { kScalar, kWrapper, kTime };

// The whole text must be the number: from_chars takes no spaces, no '+' and
// no trailing characters.
template <typename T>
absl::Status ParseInt(std::string_view s, std::string_view path, const char* type, T* out) {
  const char* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, *out);
  if (ec == std::errc::result_out_of_range && ptr == end) {
    return BadValue(path, s, absl::StrCat("out of range for ", type));
  }
  if (ec != std::errc() || ptr != end) {
    return BadValue(path, s, std::is_signed_v<T> ? "not an integer" : "not an unsigned integer");
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status ParseFloat(std::string_view s, std::string_view path, const char* type, T* out) {
  // The proto3 JSON spellings of the special values.
  if (s == "NaN") {
    *out = std::numeric_limits<T>::quiet_NaN();
    return absl::OkStatus();
  }
  if (s == "Infinity" || s == "-Infinity") {
    *out = s[0] == '-' ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
    return absl::OkStatus();
  }
  const char* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, *out, std::chars_format::general);
  if (ec == std::errc::result_out_of_range && ptr == end) {
    return BadValue(path, s, absl::StrCat("out of range for ", type));
  }
  if (ec != std::errc() || ptr != end) return BadValue(path, s, "not a number");
  // Overflow must not pass for an infinity ("inf" and "infinity" are spelled out).
  const size_t first = s[0] == '-' ? 1 : 0;
  if (std::isinf(*out) && first < s.size() && s[first] != 'i' && s[first] != 'I') {
    return BadValue(path, s, absl::StrCat("out of range for ", type));
  }
  return absl::OkStatus();
}

// Either base64 alphabet, with or without padding.
absl::Status ParseBytes(std::string_view s, std::string_view path, std::string* out) {
  std::string normalized(s);
  while (!normalized.empty() && normalized.back() == '=') normalized.pop_back();
  for (char& c : normalized) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  if (normalized.size() % 4 == 1) return BadValue(path, s, "not base64");
  normalized.append((4 - normalized.size() % 4) % 4, '=');
  if (!absl::Base64Unescape(normalized, out)) return BadValue(path, s, "not base64");
  return absl::OkStatus();
}

absl::Status ParseScalar(const FieldDescriptor* f, std::string_view s, std::string_view path,
                         Parsed* out) {
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v = 0;
      if (auto st = ParseInt(s, path, "int32", &v); !st.ok()) {
        // API.md: "A pageSize over 100 is capped at 100", however large: a
        // page size past int32 reads as the largest one (the service caps it).
        // Digits only, so the failure was a positive overflow.
        if (f->name() == "page_size" && !s.empty() &&
            std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
          out->i64 = std::numeric_limits<int32_t>::max();
          return absl::OkStatus();
        }
        return st;
      }
      out->i64 = v;
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64:
      return ParseInt(s, path, "int64", &out->i64);
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v = 0;
      if (auto st = ParseInt(s, path, "uint32", &v); !st.ok()) return st;
      out->u64 = v;
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64:
      return ParseInt(s, path, "uint64", &out->u64);
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return ParseFloat(s, path, "double", &out->f64);
    case FieldDescriptor::CPPTYPE_FLOAT:
      return ParseFloat(s, path, "float", &out->f32);
    case FieldDescriptor::CPPTYPE_BOOL:
      if (s == "true" || s == "1") {
        out->b = true;
      } else if (s == "false" || s == "0") {
        out->b = false;
      } else {
        return BadValue(path, s, "not a bool (true or false)");
      }
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* type = f->enum_type();
      for (int i = 0; i < type->value_count() && out->enum_value == nullptr; ++i) {
        if (type->value(i)->name() == s) out->enum_value = type->value(i);
      }
      int32_t number = 0;
      if (out->enum_value == nullptr) {
        const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), number);
        if (!s.empty() && ec == std::errc() && ptr == s.data() + s.size()) {
          out->enum_value = type->FindValueByNumber(number);
        }
      }
      if (out->enum_value == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown value", Shown(s), " for ", Av(path)));
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_STRING:
      if (f->type() == FieldDescriptor::TYPE_BYTES) return ParseBytes(s, path, &out->text);
      if (!runtime::text::CodePointCount(s).has_value()) {
        return BadValue(path, s, "not valid UTF-8");
      }
      out->text.assign(s.data(), s.size());
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return absl::InternalError("not a scalar field");
}

void Store(Message* m, const FieldDescriptor* f, Parsed&& v) {
  const Reflection* r = m->GetReflection();
  const bool add = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      add ? r->AddInt32(m, f, static_cast<int32_t>(v.i64))
          : r->SetInt32(m, f, static_cast<int32_t>(v.i64));
      return;
    case FieldDescriptor::CPPTYPE_INT64:
      add ? r->AddInt64(m, f, v.i64) : r->SetInt64(m, f, v.i64);
      return;
    case FieldDescriptor::CPPTYPE_UINT32:
      add ? r->AddUInt32(m, f, static_cast<uint32_t>(v.u64))
          : r->SetUInt32(m, f, static_cast<uint32_t>(v.u64));
      return;
    case FieldDescriptor::CPPTYPE_UINT64:
      add ? r->AddUInt64(m, f, v.u64) : r->SetUInt64(m, f, v.u64);
      return;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      add ? r->AddDouble(m, f, v.f64) : r->SetDouble(m, f, v.f64);
      return;
    case FieldDescriptor::CPPTYPE_FLOAT:
      add ? r->AddFloat(m, f, v.f32) : r->SetFloat(m, f, v.f32);
      return;
    case FieldDescriptor::CPPTYPE_BOOL:
      add ? r->AddBool(m, f, v.b) : r->SetBool(m, f, v.b);
      return;
    case FieldDescriptor::CPPTYPE_ENUM:
      add ? r->AddEnum(m, f, v.enum_value) : r->SetEnum(m, f, v.enum_value);
      return;
    case FieldDescriptor::CPPTYPE_STRING:
      add ? r->AddString(m, f, std::move(v.text)) : r->SetString(m, f, std::move(v.text));
      return;
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return;
  }
}

bool IsWrapper(const std::string& full_name) {
  for (const char* name :
       {"google.protobuf.DoubleValue", "google.protobuf.FloatValue", "google.protobuf.Int64Value",
        "google.protobuf.UInt64Value", "google.protobuf.Int32Value", "google.protobuf.UInt32Value",
        "google.protobuf.BoolValue", "google.protobuf.StringValue", "google.protobuf.BytesValue"}) {
    if (full_name == name) return true;
  }
  return false;
}

// Parses `value` for the leaf of `chain`, then creates the messages along the
// chain and stores it: an error leaves `message` untouched.
absl::Status SetResolved(Message* message, const FieldChain& chain, std::string_view path,
                         std::string_view value, std::string_view noun) {
  for (size_t i = 0; i + 1 < chain.size(); ++i) {
    if (chain[i]->is_repeated()) {
      return absl::InvalidArgumentError(absl::StrCat(
          Av(noun), " '", Av(path), "' goes through the repeated field '", chain[i]->name(), "'"));
    }
  }
  const FieldDescriptor* leaf = chain.back();
  if (leaf->is_map()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Av(noun), " '", Av(path), "' names a map field, which takes no text value"));
  }
  Parsed parsed;
  Kind kind = Kind::kScalar;
  const FieldDescriptor* scalar = leaf;
  if (leaf->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    const std::string& type = leaf->message_type()->full_name();
    if (type == "google.protobuf.Timestamp") {
      kind = Kind::kTime;
      google::protobuf::Timestamp ts;
      if (!google::protobuf::util::TimeUtil::FromString(std::string(value), &ts)) {
        return BadValue(path, value, "not an RFC 3339 timestamp");
      }
      parsed.seconds = ts.seconds();
      parsed.nanos = ts.nanos();
    } else if (type == "google.protobuf.Duration") {
      kind = Kind::kTime;
      google::protobuf::Duration d;
      if (!google::protobuf::util::TimeUtil::FromString(std::string(value), &d)) {
        return BadValue(path, value, "not a duration such as \"1.5s\"");
      }
      parsed.seconds = d.seconds();
      parsed.nanos = d.nanos();
    } else if (IsWrapper(type)) {
      kind = Kind::kWrapper;
      scalar = leaf->message_type()->FindFieldByNumber(1);
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          Av(noun), " '", Av(path), "' names a message; set its fields one by one instead"));
    }
  }
  if (kind != Kind::kTime) {
    if (absl::Status s = ParseScalar(scalar, value, path, &parsed); !s.ok()) return s;
  }

  Message* m = message;
  for (size_t i = 0; i + 1 < chain.size(); ++i) {
    m = m->GetReflection()->MutableMessage(m, chain[i]);
  }
  if (kind == Kind::kScalar) {
    Store(m, leaf, std::move(parsed));
    return absl::OkStatus();
  }
  Message* sub = leaf->is_repeated() ? m->GetReflection()->AddMessage(m, leaf)
                                     : m->GetReflection()->MutableMessage(m, leaf);
  if (kind == Kind::kWrapper) {
    Store(sub, scalar, std::move(parsed));
  } else {
    const Descriptor* d = sub->GetDescriptor();
    sub->GetReflection()->SetInt64(sub, d->FindFieldByNumber(1), parsed.seconds);
    sub->GetReflection()->SetInt32(sub, d->FindFieldByNumber(2), parsed.nanos);
  }
  return absl::OkStatus();
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Appends the decoded `text` to `out`; returns the offset of a bad escape, or
// npos.
size_t DecodeAppend(std::string_view text, bool plus_is_space, std::string* out) {
  out->reserve(out->size() + text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      const int hi = i + 2 < text.size() ? HexDigit(text[i + 1]) : -1;
      const int lo = hi >= 0 ? HexDigit(text[i + 2]) : -1;
      if (lo < 0) return i;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return std::string_view::npos;
}

bool IsBound(std::string_view canonical, const std::vector<std::string>& bound) {
  for (const std::string& b : bound) {
    if (canonical.size() >= b.size() && canonical.compare(0, b.size(), b) == 0 &&
        (canonical.size() == b.size() || canonical[b.size()] == '.')) {
      return true;
    }
  }
  return false;
}

}  // namespace

absl::Status SetFieldFromText(Message* message, std::string_view path, std::string_view value,
                              std::string_view noun) {
  if (message == nullptr) return absl::InvalidArgumentError("no message to set");
  FieldChain chain;
  std::string_view bad;
  if (!Resolve(message->GetDescriptor(), path, &chain, &bad)) {
    return absl::InvalidArgumentError(absl::StrCat("unknown ", Av(noun), Shown(path)));
  }
  return SetResolved(message, chain, path, value, noun);
}

absl::StatusOr<std::vector<const FieldDescriptor*>> ResolveFieldPath(const Descriptor* descriptor,
                                                                     std::string_view path) {
  if (descriptor == nullptr) return absl::InvalidArgumentError("no message type to resolve in");
  FieldChain chain;
  std::string_view bad;
  if (!Resolve(descriptor, path, &chain, &bad)) {
    return absl::NotFoundError(absl::StrCat("field path", Shown(path), " of ",
                                            descriptor->full_name(), ": no field", Shown(bad)));
  }
  return std::vector<const FieldDescriptor*>(chain.begin(), chain.end());
}

absl::StatusOr<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  if (const size_t bad = DecodeAppend(text, plus_is_space, &out); bad != std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed percent-encoding at offset ", bad, ": '%' needs two hex digits"));
  }
  return out;
}

absl::Status ApplyQueryString(Message* message, std::string_view query,
                              const std::vector<std::string>& bound) {
  if (message == nullptr) return absl::InvalidArgumentError("no message to set");
  for (const std::string& b : bound) {
    if (b == "*") return absl::OkStatus();
  }
  constexpr std::string_view kNoun = "query parameter";
  std::string name;
  std::string value;
  std::string canonical;
  std::vector<std::string> seen;  // singular fields set so far, by proto-name path
  FieldChain chain;
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    const std::string_view piece = query.substr(start, amp - start);
    start = amp + 1;
    if (piece.empty()) continue;
    const size_t eq = piece.find('=');
    name.clear();
    value.clear();
    if (DecodeAppend(piece.substr(0, eq), true, &name) != std::string_view::npos) {
      return absl::InvalidArgumentError("malformed percent-encoding in a query parameter name");
    }
    if (name.empty()) continue;
    if (eq != std::string_view::npos &&
        DecodeAppend(piece.substr(eq + 1), true, &value) != std::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("malformed percent-encoding in the value of query parameter", Shown(name)));
    }
    std::string_view bad;
    if (!Resolve(message->GetDescriptor(), name, &chain, &bad)) continue;  // names no field
    canonical.clear();
    for (const FieldDescriptor* f : chain) {
      absl::StrAppend(&canonical, canonical.empty() ? "" : ".", f->name());
    }
    if (IsBound(canonical, bound)) continue;
    // PostgreSQL's text cannot hold U+0000 (libpq would cut the value there).
    if (value.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("query parameter", Shown(name), " must not contain U+0000"));
    }
    // "?pageSize=&status=" (a form left empty) leaves numbers, bools and
    // enums unset; strings and bytes take "".
    const auto type = chain.back()->cpp_type();
    if (value.empty() && type != FieldDescriptor::CPPTYPE_STRING) continue;
    if (!chain.back()->is_repeated()) {
      for (const std::string& s : seen) {
        if (s == canonical) {
          return absl::InvalidArgumentError(
              absl::StrCat("query parameter", Shown(name), " is given more than once"));
        }
      }
      seen.push_back(canonical);
    }
    if (absl::Status s = SetResolved(message, chain, name, value, kNoun); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace agora::gateway
