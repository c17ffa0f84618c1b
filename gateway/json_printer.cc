#include "gateway/json_printer.h"

#include <cmath>
#include <cstdint>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/reflection.h"
#include "google/protobuf/stubs/strutil.h"

namespace agora::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// protobuf 3.21, util/internal/json_escaping.cc: the escapes of code points
// below 0xa0 ("" when none is needed).
constexpr const char* kCommonEscapes[0xa0] = {
    "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
    "\\b",     "\\t",     "\\n",     "\\u000b", "\\f",     "\\r",     "\\u000e", "\\u000f",
    "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
    "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
    "",        "",        "\\\"",    "",        "",        "",        "",        "",  // 0x20
    "",        "",        "",        "",        "",        "",        "",        "",
    "",        "",        "",        "",        "",        "",        "",        "",  // 0x30
    "",        "",        "",        "",        "\\u003c", "",        "\\u003e", "",
    "",        "",        "",        "",        "",        "",        "",        "",  // 0x40
    "",        "",        "",        "",        "",        "",        "",        "",
    "",        "",        "",        "",        "",        "",        "",        "",  // 0x50
    "",        "",        "",        "",        "\\\\",    "",        "",        "",
    "",        "",        "",        "",        "",        "",        "",        "",  // 0x60
    "",        "",        "",        "",        "",        "",        "",        "",
    "",        "",        "",        "",        "",        "",        "",        "",  // 0x70
    "",        "",        "",        "",        "",        "",        "",        "\\u007f",
    "\\u0080", "\\u0081", "\\u0082", "\\u0083", "\\u0084", "\\u0085", "\\u0086", "\\u0087",
    "\\u0088", "\\u0089", "\\u008a", "\\u008b", "\\u008c", "\\u008d", "\\u008e", "\\u008f",
    "\\u0090", "\\u0091", "\\u0092", "\\u0093", "\\u0094", "\\u0095", "\\u0096", "\\u0097",
    "\\u0098", "\\u0099", "\\u009a", "\\u009b", "\\u009c", "\\u009d", "\\u009e", "\\u009f",
};

constexpr char kHex[] = "0123456789abcdef";

void AppendU16(uint32_t unit, std::string* out) {
  const char buf[6] = {'\\', 'u', kHex[(unit >> 12) & 0xf], kHex[(unit >> 8) & 0xf], kHex[(unit >> 4) & 0xf],
                       kHex[unit & 0xf]};
  out->append(buf, 6);
}

// The code points at or above 0xa0 protobuf escapes (JavaScript hazards):
// 1 as one \uXXXX, 2 as a surrogate pair, 0 not at all.
int EscapeKind(uint32_t cp) {
  switch (cp) {
    case 0xfeff: case 0xfff9: case 0xfffa: case 0xfffb: case 0x00ad:
    case 0x06dd: case 0x070f: case 0x17b4: case 0x17b5:
      return 1;
    default:
      break;
  }
  if ((cp >= 0x0600 && cp <= 0x0603) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
      (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x206a && cp <= 0x206f)) {
    return 1;
  }
  if (cp == 0xe0001 || (cp >= 0x1d173 && cp <= 0x1d17a) || (cp >= 0xe0020 && cp <= 0xe007f)) return 2;
  return 0;
}

// One UTF-8 sequence at `s[i]`: its code point and length. When the bytes
// there are not UTF-8, minus the number of bytes protobuf's escaper drops:
// the lead byte and the continuation bytes read up to the offending one
// (util/internal/json_escaping.cc, which has no overlong check either).
int ReadCodePoint(std::string_view s, size_t i, uint32_t* cp) {
  const auto b0 = static_cast<uint8_t>(s[i]);
  int need;
  if (b0 <= 0x7f) {
    *cp = b0;
    return 1;
  } else if (b0 <= 0xbf) {
    return -1;
  } else if (b0 <= 0xdf) {
    *cp = b0 & 0x1f;
    need = 1;
  } else if (b0 <= 0xef) {
    *cp = b0 & 0x0f;
    need = 2;
  } else if (b0 <= 0xf7) {
    *cp = b0 & 0x07;
    need = 3;
  } else {
    return -1;
  }
  for (int k = 1; k <= need; ++k) {
    if (i + k >= s.size()) return -static_cast<int>(s.size() - i);  // truncated
    const auto b = static_cast<uint8_t>(s[i + k]);
    *cp = (*cp << 6) | (b & 0x3f);
    if (b < 0x80 || b > 0xbf) return -(k + 1);
  }
  if ((*cp & 0xfffff800) == 0xd800 || *cp > 0x10ffff) return -(need + 1);
  return need + 1;
}

void AppendInt(int64_t v, std::string* out) {
  char buf[24];
  char* end = buf + sizeof buf;
  char* p = end;
  uint64_t u = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  do {
    *--p = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (v < 0) *--p = '-';
  out->append(p, static_cast<size_t>(end - p));
}

void AppendUint(uint64_t u, std::string* out) {
  char buf[24];
  char* end = buf + sizeof buf;
  char* p = end;
  do {
    *--p = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  out->append(p, static_cast<size_t>(end - p));
}

// protobuf's DoubleAsString: NaN and the infinities as JSON strings.
void AppendDouble(double v, std::string* out) {
  if (std::isnan(v)) {
    out->append("\"NaN\"");
  } else if (std::isinf(v)) {
    out->append(v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else {
    out->append(google::protobuf::SimpleDtoa(v));
  }
}

void AppendFloat(float v, std::string* out) {
  if (std::isnan(v)) {
    out->append("\"NaN\"");
  } else if (std::isinf(v)) {
    out->append(v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else {
    out->append(google::protobuf::SimpleFtoa(v));
  }
}

// google.protobuf.Timestamp as RFC 3339 in UTC, 0, 3, 6 or 9 fractional
// digits; protobuf refuses seconds outside years 1-9999 and nanos outside
// [0, 1e9).
absl::Status AppendTimestamp(const Message& m, std::string* out) {
  const Descriptor* d = m.GetDescriptor();
  const Reflection* r = m.GetReflection();
  const int64_t seconds = r->GetInt64(m, d->FindFieldByNumber(1));
  const int32_t nanos = r->GetInt32(m, d->FindFieldByNumber(2));
  constexpr int64_t kMin = -62135596800;  // 0001-01-01T00:00:00Z
  constexpr int64_t kMax = 253402300799;  // 9999-12-31T23:59:59Z
  if (seconds < kMin || seconds > kMax || nanos < 0 || nanos > 999999999) {
    return absl::InvalidArgumentError("timestamp out of range");
  }
  const absl::CivilSecond t = absl::ToCivilSecond(absl::FromUnixSeconds(seconds), absl::UTCTimeZone());
  char buf[48];
  int n = snprintf(buf, sizeof buf, "\"%04d-%02d-%02dT%02d:%02d:%02d", static_cast<int>(t.year()), t.month(), t.day(),
                   t.hour(), t.minute(), t.second());
  if (nanos != 0) {
    if (nanos % 1000000 == 0) {
      n += snprintf(buf + n, sizeof buf - n, ".%03d", nanos / 1000000);
    } else if (nanos % 1000 == 0) {
      n += snprintf(buf + n, sizeof buf - n, ".%06d", nanos / 1000);
    } else {
      n += snprintf(buf + n, sizeof buf - n, ".%09d", nanos);
    }
  }
  out->append(buf, static_cast<size_t>(n));
  out->append("Z\"");
  return absl::OkStatus();
}

// Whether the printer renders messages of type `d` (recursively).
bool Supported(const Descriptor* d, int depth = 0) {
  if (depth > 32) return false;
  const std::string& name = d->full_name();
  if (name == "google.protobuf.Timestamp" || name == "google.protobuf.Empty") return true;
  if (name.rfind("google.protobuf.", 0) == 0) return false;  // other well-known types
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->is_map()) return false;
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && f->message_type() != d &&
        !Supported(f->message_type(), depth + 1)) {
      return false;
    }
  }
  return true;
}

class Printer {
 public:
  explicit Printer(std::string* out) : out_(out) {}

  absl::Status Object(const Message& m) {
    const Descriptor* d = m.GetDescriptor();
    if (d->full_name() == "google.protobuf.Timestamp") return AppendTimestamp(m, out_);
    const Reflection* r = m.GetReflection();
    out_->push_back('{');
    bool first = true;
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      if (f->is_repeated()) {
        Name(f, &first);
        const int n = r->FieldSize(m, f);
        out_->push_back('[');
        for (int k = 0; k < n; ++k) {
          if (k > 0) out_->push_back(',');
          if (absl::Status s = Value(m, r, f, k); !s.ok()) return s;
        }
        out_->push_back(']');
        continue;
      }
      // Presence: messages and proto3 `optional` print only when set; other
      // scalars always (always_print_primitive_fields).
      if (f->has_presence() && !r->HasField(m, f)) continue;
      Name(f, &first);
      if (absl::Status s = Value(m, r, f); !s.ok()) return s;
    }
    out_->push_back('}');
    return absl::OkStatus();
  }

 private:
  void Name(const FieldDescriptor* f, bool* first) {
    if (!*first) out_->push_back(',');
    *first = false;
    AppendJsonString(f->json_name(), out_);
    out_->push_back(':');
  }

  void Enum(const FieldDescriptor* f, int value) {
    const google::protobuf::EnumValueDescriptor* v = f->enum_type()->FindValueByNumber(value);
    if (v == nullptr) {
      AppendInt(value, out_);  // an open enum's unknown value: its number
    } else {
      AppendJsonString(v->name(), out_);
    }
  }

  // The value of field `f`: its k-th element when k >= 0 (a repeated field),
  // else the singular one.
  absl::Status Value(const Message& m, const Reflection* r, const FieldDescriptor* f, int k = -1) {
    const bool rep = k >= 0;
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        AppendInt(rep ? r->GetRepeatedInt32(m, f, k) : r->GetInt32(m, f), out_);
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        AppendUint(rep ? r->GetRepeatedUInt32(m, f, k) : r->GetUInt32(m, f), out_);
        break;
      case FieldDescriptor::CPPTYPE_INT64:  // 64-bit integers are JSON strings
        out_->push_back('"');
        AppendInt(rep ? r->GetRepeatedInt64(m, f, k) : r->GetInt64(m, f), out_);
        out_->push_back('"');
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        out_->push_back('"');
        AppendUint(rep ? r->GetRepeatedUInt64(m, f, k) : r->GetUInt64(m, f), out_);
        out_->push_back('"');
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        AppendDouble(rep ? r->GetRepeatedDouble(m, f, k) : r->GetDouble(m, f), out_);
        break;
      case FieldDescriptor::CPPTYPE_FLOAT:
        AppendFloat(rep ? r->GetRepeatedFloat(m, f, k) : r->GetFloat(m, f), out_);
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        out_->append((rep ? r->GetRepeatedBool(m, f, k) : r->GetBool(m, f)) ? "true" : "false");
        break;
      case FieldDescriptor::CPPTYPE_ENUM:
        Enum(f, rep ? r->GetRepeatedEnumValue(m, f, k) : r->GetEnumValue(m, f));
        break;
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string scratch;
        const std::string& s =
            rep ? r->GetRepeatedStringReference(m, f, k, &scratch) : r->GetStringReference(m, f, &scratch);
        if (f->type() == FieldDescriptor::TYPE_BYTES) {
          out_->push_back('"');
          out_->append(absl::Base64Escape(s));
          out_->push_back('"');
        } else {
          AppendJsonString(s, out_);
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return Object(rep ? r->GetRepeatedMessage(m, f, k) : r->GetMessage(m, f));
    }
    return absl::OkStatus();
  }

  std::string* out_;
};

}  // namespace

void AppendJsonString(std::string_view text, std::string* out) {
  out->push_back('"');
  size_t plain = 0;  // start of the run not yet copied
  size_t i = 0;
  while (i < text.size()) {
    uint32_t cp = 0;
    const int len = ReadCodePoint(text, i, &cp);
    if (len < 0) {
      // Not UTF-8: protobuf drops those bytes.
      out->append(text.data() + plain, i - plain);
      i += static_cast<size_t>(-len);
      plain = i;
      continue;
    }
    if (cp < 0xa0) {
      const char* esc = kCommonEscapes[cp];
      if (*esc != '\0') {
        out->append(text.data() + plain, i - plain);
        out->append(esc);
        plain = i + static_cast<size_t>(len);
      }
    } else if (const int kind = EscapeKind(cp); kind != 0) {
      out->append(text.data() + plain, i - plain);
      if (kind == 1) {
        AppendU16(cp, out);
      } else {
        AppendU16(((cp - 0x10000) >> 10) + 0xd800, out);
        AppendU16(((cp - 0x10000) & 0x3ff) + 0xdc00, out);
      }
      plain = i + static_cast<size_t>(len);
    }
    i += static_cast<size_t>(len);
  }
  out->append(text.data() + plain, text.size() - plain);
  out->push_back('"');
}

absl::Status AppendJson(const Message& message, std::string* out) {
  // Per thread: no lock on the request path.
  thread_local absl::flat_hash_map<const Descriptor*, bool> supported;
  const Descriptor* d = message.GetDescriptor();
  auto it = supported.find(d);
  if (it == supported.end()) it = supported.emplace(d, Supported(d)).first;
  if (!it->second) {
    return absl::UnimplementedError(absl::StrCat("no fast JSON for ", message.GetDescriptor()->full_name()));
  }
  const size_t size = out->size();
  absl::Status s = Printer(out).Object(message);
  if (!s.ok()) out->resize(size);
  return s;
}

}  // namespace agora::gateway
