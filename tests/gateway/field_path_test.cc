#include "gateway/field_path.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "agora/inventory/v1/inventory.pb.h"
#include "agora/orders/v1/orders.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/wrappers.pb.h"
#include "tests/gateway/descriptor_testing.h"

namespace agora::gateway {
namespace {

using agora::gateway::testing::AddField;
using agora::gateway::testing::AddWithDependencies;

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;
using google::protobuf::DescriptorProto;
using google::protobuf::DynamicMessageFactory;
using google::protobuf::FieldDescriptor;
using google::protobuf::FieldDescriptorProto;
using google::protobuf::FileDescriptor;
using google::protobuf::FileDescriptorProto;
using google::protobuf::Message;
using google::protobuf::Reflection;
using orders::v1::ListOrdersRequest;

// A message with every kind of field, built at run time:
//   enum Color { COLOR_UNSPECIFIED = 0; RED = 1; GREEN = 2; }
//   message Inner { string name = 1; int32 n = 2; }
//   message All {
//     int32 i32 = 1; int64 i64 = 2; uint32 u32 = 3; uint64 u64 = 4; sint32 s32 = 5;
//     sint64 s64 = 6; fixed32 fx32 = 7; fixed64 fx64 = 8; sfixed32 sfx32 = 9;
//     sfixed64 sfx64 = 10; double dbl = 11; float flt = 12; bool flag = 13;
//     string text = 14; bytes data = 15; Color color = 16; Inner inner = 17;
//     repeated string tags = 18; repeated int64 ids = 19; google.protobuf.Timestamp at = 20;
//     google.protobuf.Int64Value maybe_count = 21; google.protobuf.StringValue maybe_text = 22;
//     map<string, string> labels = 23; repeated Inner inners = 24; string page_token = 25;
//     repeated Color colors = 26; google.protobuf.BoolValue maybe_flag = 27;
//     google.protobuf.Duration wait = 28;
//   }
class TestTypes final {
 public:
  TestTypes() {
    AddWithDependencies(pool_, google::protobuf::Timestamp::descriptor()->file());
    AddWithDependencies(pool_, google::protobuf::Int64Value::descriptor()->file());
    AddWithDependencies(pool_, google::protobuf::Duration::descriptor()->file());
    FileDescriptorProto file;
    file.set_name("agora/test/fields.proto");
    file.set_package("agora.test");
    file.set_syntax("proto3");
    file.add_dependency("google/protobuf/timestamp.proto");
    file.add_dependency("google/protobuf/wrappers.proto");
    file.add_dependency("google/protobuf/duration.proto");
    auto* color = file.add_enum_type();
    color->set_name("Color");
    int number = 0;
    for (const char* name : {"COLOR_UNSPECIFIED", "RED", "GREEN"}) {
      auto* value = color->add_value();
      value->set_name(name);
      value->set_number(number++);
    }
    DescriptorProto* inner = file.add_message_type();
    inner->set_name("Inner");
    AddField(inner, "name", 1, FieldDescriptorProto::TYPE_STRING);
    AddField(inner, "n", 2, FieldDescriptorProto::TYPE_INT32);

    DescriptorProto* all = file.add_message_type();
    all->set_name("All");
    using T = FieldDescriptorProto;
    AddField(all, "i32", 1, T::TYPE_INT32);
    AddField(all, "i64", 2, T::TYPE_INT64);
    AddField(all, "u32", 3, T::TYPE_UINT32);
    AddField(all, "u64", 4, T::TYPE_UINT64);
    AddField(all, "s32", 5, T::TYPE_SINT32);
    AddField(all, "s64", 6, T::TYPE_SINT64);
    AddField(all, "fx32", 7, T::TYPE_FIXED32);
    AddField(all, "fx64", 8, T::TYPE_FIXED64);
    AddField(all, "sfx32", 9, T::TYPE_SFIXED32);
    AddField(all, "sfx64", 10, T::TYPE_SFIXED64);
    AddField(all, "dbl", 11, T::TYPE_DOUBLE);
    AddField(all, "flt", 12, T::TYPE_FLOAT);
    AddField(all, "flag", 13, T::TYPE_BOOL);
    AddField(all, "text", 14, T::TYPE_STRING);
    AddField(all, "data", 15, T::TYPE_BYTES);
    AddField(all, "color", 16, T::TYPE_ENUM, ".agora.test.Color");
    AddField(all, "inner", 17, T::TYPE_MESSAGE, ".agora.test.Inner");
    AddField(all, "tags", 18, T::TYPE_STRING, "", true);
    AddField(all, "ids", 19, T::TYPE_INT64, "", true);
    AddField(all, "at", 20, T::TYPE_MESSAGE, ".google.protobuf.Timestamp");
    AddField(all, "maybe_count", 21, T::TYPE_MESSAGE, ".google.protobuf.Int64Value");
    AddField(all, "maybe_text", 22, T::TYPE_MESSAGE, ".google.protobuf.StringValue");
    DescriptorProto* entry = all->add_nested_type();
    entry->set_name("LabelsEntry");
    entry->mutable_options()->set_map_entry(true);
    AddField(entry, "key", 1, T::TYPE_STRING);
    AddField(entry, "value", 2, T::TYPE_STRING);
    AddField(all, "labels", 23, T::TYPE_MESSAGE, ".agora.test.All.LabelsEntry", true);
    AddField(all, "inners", 24, T::TYPE_MESSAGE, ".agora.test.Inner", true);
    AddField(all, "page_token", 25, T::TYPE_STRING);
    AddField(all, "colors", 26, T::TYPE_ENUM, ".agora.test.Color", true);
    AddField(all, "maybe_flag", 27, T::TYPE_MESSAGE, ".google.protobuf.BoolValue");
    AddField(all, "wait", 28, T::TYPE_MESSAGE, ".google.protobuf.Duration");
    REQUIRE(pool_.BuildFile(file) != nullptr);
    all_ = pool_.FindMessageTypeByName("agora.test.All");
    REQUIRE(all_ != nullptr);
  }

  const Descriptor* all() const { return all_; }
  std::unique_ptr<Message> NewAll() {
    return std::unique_ptr<Message>(factory_.GetPrototype(all_)->New());
  }

 private:

  DescriptorPool pool_;
  DynamicMessageFactory factory_{&pool_};
  const Descriptor* all_ = nullptr;
};

const FieldDescriptor* Field(const Message& m, const std::string& name) {
  const FieldDescriptor* f = m.GetDescriptor()->FindFieldByName(name);
  REQUIRE(f != nullptr);
  return f;
}

std::string Text(const absl::Status& s) { return std::string(s.message()); }

bool IsInvalid(const absl::Status& s) { return s.code() == absl::StatusCode::kInvalidArgument; }

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---------------------------------------------------------------------------
// SetFieldFromText

TEST_CASE("integers of every width are decimal and must fit their type", "[unit]") {
  TestTypes types;
  auto m = types.NewAll();
  const Reflection* r = m->GetReflection();
  REQUIRE(SetFieldFromText(m.get(), "i32", "-5").ok());
  CHECK(r->GetInt32(*m, Field(*m, "i32")) == -5);
  REQUIRE(SetFieldFromText(m.get(), "i32", "2147483647").ok());
  CHECK(r->GetInt32(*m, Field(*m, "i32")) == 2147483647);
  REQUIRE(SetFieldFromText(m.get(), "i64", "-9223372036854775808").ok());
  CHECK(r->GetInt64(*m, Field(*m, "i64")) == INT64_MIN);
  REQUIRE(SetFieldFromText(m.get(), "u32", "4294967295").ok());
  CHECK(r->GetUInt32(*m, Field(*m, "u32")) == 4294967295u);
  REQUIRE(SetFieldFromText(m.get(), "u64", "18446744073709551615").ok());
  CHECK(r->GetUInt64(*m, Field(*m, "u64")) == UINT64_MAX);
  REQUIRE(SetFieldFromText(m.get(), "s32", "-7").ok());
  CHECK(r->GetInt32(*m, Field(*m, "s32")) == -7);
  REQUIRE(SetFieldFromText(m.get(), "s64", "-8").ok());
  CHECK(r->GetInt64(*m, Field(*m, "s64")) == -8);
  REQUIRE(SetFieldFromText(m.get(), "fx32", "9").ok());
  CHECK(r->GetUInt32(*m, Field(*m, "fx32")) == 9);
  REQUIRE(SetFieldFromText(m.get(), "fx64", "10").ok());
  CHECK(r->GetUInt64(*m, Field(*m, "fx64")) == 10);
  REQUIRE(SetFieldFromText(m.get(), "sfx32", "-11").ok());
  CHECK(r->GetInt32(*m, Field(*m, "sfx32")) == -11);
  REQUIRE(SetFieldFromText(m.get(), "sfx64", "-12").ok());
  CHECK(r->GetInt64(*m, Field(*m, "sfx64")) == -12);

  const absl::Status overflow = SetFieldFromText(m.get(), "i32", "2147483648");
  CHECK(IsInvalid(overflow));
  CHECK(Text(overflow) == "invalid value '2147483648' for i32: out of range for int32");
  CHECK(IsInvalid(SetFieldFromText(m.get(), "i64", "9223372036854775808")));
  CHECK(IsInvalid(SetFieldFromText(m.get(), "u32", "4294967296")));
  CHECK(IsInvalid(SetFieldFromText(m.get(), "u64", "18446744073709551616")));
  CHECK(Text(SetFieldFromText(m.get(), "u32", "-1")) ==
        "invalid value '-1' for u32: not an unsigned integer");
  CHECK(IsInvalid(SetFieldFromText(m.get(), "fx32", "-1")));
  CHECK(Text(SetFieldFromText(m.get(), "i32", "abc")) ==
        "invalid value 'abc' for i32: not an integer");
  for (const char* bad : {"", " 5", "5 ", "+5", "1e3", "0x10", "1.0", "--1", "5a", "\xff"}) {
    INFO(bad);
    CHECK(IsInvalid(SetFieldFromText(m.get(), "i32", bad)));
    CHECK(IsInvalid(SetFieldFromText(m.get(), "u64", bad)));
  }
  // Failed sets change nothing.
  CHECK(r->GetInt32(*m, Field(*m, "i32")) == 2147483647);
}

TEST_CASE("floating point, bool, string and bytes values", "[unit]") {
  TestTypes types;
  auto m = types.NewAll();
  const Reflection* r = m->GetReflection();
  REQUIRE(SetFieldFromText(m.get(), "dbl", "1.5").ok());
  CHECK(r->GetDouble(*m, Field(*m, "dbl")) == 1.5);
  REQUIRE(SetFieldFromText(m.get(), "dbl", "-2e3").ok());
  CHECK(r->GetDouble(*m, Field(*m, "dbl")) == -2000.0);
  REQUIRE(SetFieldFromText(m.get(), "dbl", "NaN").ok());
  CHECK(std::isnan(r->GetDouble(*m, Field(*m, "dbl"))));
  REQUIRE(SetFieldFromText(m.get(), "dbl", "-Infinity").ok());
  CHECK(std::isinf(r->GetDouble(*m, Field(*m, "dbl"))));
  REQUIRE(SetFieldFromText(m.get(), "flt", "0.25").ok());
  CHECK(r->GetFloat(*m, Field(*m, "flt")) == 0.25f);
  CHECK(IsInvalid(SetFieldFromText(m.get(), "flt", "1e39")));
  for (const char* bad : {"", "abc", "1.5x", " 1", "0x1p3"}) {
    INFO(bad);
    CHECK(IsInvalid(SetFieldFromText(m.get(), "dbl", bad)));
  }

  for (const char* yes : {"true", "1"}) {
    REQUIRE(SetFieldFromText(m.get(), "flag", yes).ok());
    CHECK(r->GetBool(*m, Field(*m, "flag")));
  }
  for (const char* no : {"false", "0"}) {
    REQUIRE(SetFieldFromText(m.get(), "flag", no).ok());
    CHECK_FALSE(r->GetBool(*m, Field(*m, "flag")));
  }
  for (const char* bad : {"", "yes", "TRUE", "2"}) {
    INFO(bad);
    CHECK(IsInvalid(SetFieldFromText(m.get(), "flag", bad)));
  }

  REQUIRE(SetFieldFromText(m.get(), "text", "hello world & more").ok());
  CHECK(r->GetString(*m, Field(*m, "text")) == "hello world & more");
  REQUIRE(SetFieldFromText(m.get(), "text", "").ok());
  CHECK(r->GetString(*m, Field(*m, "text")).empty());
  REQUIRE(SetFieldFromText(m.get(), "text", "caf\xc3\xa9").ok());
  CHECK(IsInvalid(SetFieldFromText(m.get(), "text", "caf\xe9")));  // Latin-1, not UTF-8
  CHECK(r->GetString(*m, Field(*m, "text")) == "caf\xc3\xa9");

  // Both base64 alphabets, padded or not.
  for (const char* hi : {"aGk=", "aGk"}) {
    REQUIRE(SetFieldFromText(m.get(), "data", hi).ok());
    CHECK(r->GetString(*m, Field(*m, "data")) == "hi");
  }
  for (const char* encoded : {"+/8=", "+/8", "-_8=", "-_8"}) {
    INFO(encoded);
    REQUIRE(SetFieldFromText(m.get(), "data", encoded).ok());
    CHECK(r->GetString(*m, Field(*m, "data")) == "\xfb\xff");
  }
  REQUIRE(SetFieldFromText(m.get(), "data", "").ok());
  CHECK(r->GetString(*m, Field(*m, "data")).empty());
  for (const char* bad : {"@@@@", "a", "aGk=x"}) {
    INFO(bad);
    CHECK(IsInvalid(SetFieldFromText(m.get(), "data", bad)));
  }
}

TEST_CASE("enums take their exact value name or number, anything else names the field", "[unit]") {
  ListOrdersRequest request;
  REQUIRE(SetFieldFromText(&request, "status", "APPROVED").ok());
  CHECK(request.status() == orders::v1::APPROVED);
  REQUIRE(SetFieldFromText(&request, "status", "3").ok());
  CHECK(request.status() == orders::v1::REJECTED);
  const absl::Status lower = SetFieldFromText(&request, "status", "approved");
  CHECK(IsInvalid(lower));
  CHECK(Text(lower) == "unknown value 'approved' for status");
  CHECK(Text(SetFieldFromText(&request, "status", "42")) == "unknown value '42' for status");
  for (const char* bad : {"", "-1", "PENDING ", "OUT_OF_STOCK", "2147483648"}) {
    INFO(bad);
    CHECK(IsInvalid(SetFieldFromText(&request, "status", bad)));
  }
  CHECK(request.status() == orders::v1::REJECTED);
  REQUIRE(SetFieldFromText(&request, "status", "0").ok());
  CHECK(request.status() == orders::v1::ORDER_STATUS_UNSPECIFIED);

  TestTypes types;
  auto m = types.NewAll();
  REQUIRE(SetFieldFromText(m.get(), "color", "GREEN").ok());
  CHECK(m->GetReflection()->GetEnumValue(*m, Field(*m, "color")) == 2);
}

TEST_CASE("nested fields are created and names may be snake_case or lowerCamelCase", "[unit]") {
  TestTypes types;
  auto m = types.NewAll();
  const Reflection* r = m->GetReflection();
  REQUIRE(SetFieldFromText(m.get(), "inner.name", "x").ok());
  REQUIRE(SetFieldFromText(m.get(), "inner.n", "3").ok());
  const Message& inner = r->GetMessage(*m, Field(*m, "inner"));
  CHECK(inner.GetReflection()->GetString(inner, Field(inner, "name")) == "x");
  CHECK(inner.GetReflection()->GetInt32(inner, Field(inner, "n")) == 3);
  REQUIRE(SetFieldFromText(m.get(), "pageToken", "t1").ok());
  CHECK(r->GetString(*m, Field(*m, "page_token")) == "t1");
  REQUIRE(SetFieldFromText(m.get(), "page_token", "t2").ok());
  CHECK(r->GetString(*m, Field(*m, "page_token")) == "t2");

  ListOrdersRequest request;
  REQUIRE(SetFieldFromText(&request, "pageSize", "20").ok());
  CHECK(request.page_size() == 20);
  REQUIRE(SetFieldFromText(&request, "page_size", "21").ok());
  CHECK(request.page_size() == 21);
  // "A pageSize over 100 is capped at 100", however large (the service caps
  // what it gets); a negative or malformed one still fails.
  for (const char* huge : {"2147483648", "99999999999", "99999999999999999999999"}) {
    INFO(huge);
    REQUIRE(SetFieldFromText(&request, "pageSize", huge).ok());
    CHECK(request.page_size() == 2147483647);
  }
  for (const char* bad : {"-2147483649", "-99999999999999999999", "1e10", "9x", "+5", " 5"}) {
    INFO(bad);
    CHECK_FALSE(SetFieldFromText(&request, "pageSize", bad).ok());
  }
  // Other int32 fields keep their range.
  CHECK_FALSE(SetFieldFromText(m.get(), "inner.n", "2147483648").ok());
  inventory::v1::UpdateProductRequest update;
  REQUIRE(SetFieldFromText(&update, "name", "").ok());
  CHECK(update.has_name());  // proto3 optional: an empty string is a value
}

TEST_CASE("a repeated field gets every value appended", "[unit]") {
  TestTypes types;
  auto m = types.NewAll();
  const Reflection* r = m->GetReflection();
  for (const char* tag : {"a", "b", "a"}) REQUIRE(SetFieldFromText(m.get(), "tags", tag).ok());
  REQUIRE(r->FieldSize(*m, Field(*m, "tags")) == 3);
  CHECK(r->GetRepeatedString(*m, Field(*m, "tags"), 0) == "a");
  CHECK(r->GetRepeatedString(*m, Field(*m, "tags"), 1) == "b");
  CHECK(r->GetRepeatedString(*m, Field(*m, "tags"), 2) == "a");
  REQUIRE(SetFieldFromText(m.get(), "ids", "1").ok());
  REQUIRE(SetFieldFromText(m.get(), "ids", "-2").ok());
  CHECK(IsInvalid(SetFieldFromText(m.get(), "ids", "x")));
  REQUIRE(r->FieldSize(*m, Field(*m, "ids")) == 2);
  CHECK(r->GetRepeatedInt64(*m, Field(*m, "ids"), 1) == -2);
  REQUIRE(SetFieldFromText(m.get(), "colors", "RED").ok());
  REQUIRE(SetFieldFromText(m.get(), "colors", "2").ok());
  CHECK(IsInvalid(SetFieldFromText(m.get(), "colors", "BLUE")));
  REQUIRE(r->FieldSize(*m, Field(*m, "colors")) == 2);
  CHECK(r->GetRepeatedEnumValue(*m, Field(*m, "colors"), 0) == 1);
  CHECK(r->GetRepeatedEnumValue(*m, Field(*m, "colors"), 1) == 2);
}

TEST_CASE("Timestamp reads RFC 3339, Duration seconds, and wrappers their scalar", "[unit]") {
  TestTypes types;
  auto m = types.NewAll();
  const Reflection* r = m->GetReflection();
  CHECK(IsInvalid(SetFieldFromText(m.get(), "at", "yesterday")));
  CHECK_FALSE(r->HasField(*m, Field(*m, "at")));
  REQUIRE(SetFieldFromText(m.get(), "at", "2024-01-02T03:04:05.5Z").ok());
  const Message& at = r->GetMessage(*m, Field(*m, "at"));
  CHECK(at.GetReflection()->GetInt64(at, Field(at, "seconds")) == 1704164645);
  CHECK(at.GetReflection()->GetInt32(at, Field(at, "nanos")) == 500000000);

  REQUIRE(SetFieldFromText(m.get(), "wait", "1.5s").ok());
  const Message& wait = r->GetMessage(*m, Field(*m, "wait"));
  CHECK(wait.GetReflection()->GetInt64(wait, Field(wait, "seconds")) == 1);
  CHECK(wait.GetReflection()->GetInt32(wait, Field(wait, "nanos")) == 500000000);
  CHECK(IsInvalid(SetFieldFromText(m.get(), "wait", "soon")));

  CHECK(IsInvalid(SetFieldFromText(m.get(), "maybeCount", "x")));
  CHECK_FALSE(r->HasField(*m, Field(*m, "maybe_count")));
  REQUIRE(SetFieldFromText(m.get(), "maybeCount", "42").ok());
  const Message& count = r->GetMessage(*m, Field(*m, "maybe_count"));
  CHECK(count.GetReflection()->GetInt64(count, Field(count, "value")) == 42);
  REQUIRE(SetFieldFromText(m.get(), "maybe_text", "").ok());
  CHECK(r->HasField(*m, Field(*m, "maybe_text")));
  REQUIRE(SetFieldFromText(m.get(), "maybe_flag", "true").ok());
  const Message& flag = r->GetMessage(*m, Field(*m, "maybe_flag"));
  CHECK(flag.GetReflection()->GetBool(flag, Field(flag, "value")));
}

TEST_CASE("unknown fields, messages, maps and paths through repeated fields are refused",
          "[unit]") {
  TestTypes types;
  auto m = types.NewAll();
  const absl::Status unknown = SetFieldFromText(m.get(), "nope", "1");
  CHECK(IsInvalid(unknown));
  CHECK(Text(unknown) == "unknown query parameter 'nope'");
  CHECK(Text(SetFieldFromText(m.get(), "nope", "1", "path variable")) ==
        "unknown path variable 'nope'");
  for (const char* path : {"inner.nope", "i32.x", "", ".inner", "inner.", "inner..name", "I32"}) {
    INFO(path);
    CHECK(IsInvalid(SetFieldFromText(m.get(), path, "1")));
  }
  CHECK(Contains(Text(SetFieldFromText(m.get(), "inner", "x")), "message"));
  CHECK(Contains(Text(SetFieldFromText(m.get(), "labels", "x")), "map"));
  CHECK(Contains(Text(SetFieldFromText(m.get(), "inners.name", "x")), "repeated"));
  CHECK(Contains(Text(SetFieldFromText(m.get(), "labels.key", "x")), "repeated"));
  // A value that does not parse creates no intermediate message.
  CHECK(IsInvalid(SetFieldFromText(m.get(), "inner.n", "x")));
  CHECK_FALSE(m->GetReflection()->HasField(*m, Field(*m, "inner")));
  CHECK(IsInvalid(SetFieldFromText(nullptr, "i32", "1")));
}

TEST_CASE("field paths resolve to descriptors by either spelling", "[unit]") {
  TestTypes types;
  auto chain = ResolveFieldPath(types.all(), "inner.name");
  REQUIRE(chain.ok());
  REQUIRE(chain->size() == 2);
  CHECK((*chain)[0]->name() == "inner");
  CHECK((*chain)[1]->name() == "name");
  chain = ResolveFieldPath(types.all(), "pageToken");
  REQUIRE(chain.ok());
  CHECK(chain->front()->name() == "page_token");
  chain = ResolveFieldPath(ListOrdersRequest::descriptor(), "pageSize");
  REQUIRE(chain.ok());
  CHECK(chain->front()->number() == 2);
  const auto missing = ResolveFieldPath(types.all(), "inner.nope");
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK(Contains(Text(missing.status()), "nope"));
  CHECK(ResolveFieldPath(types.all(), "i32.x").status().code() == absl::StatusCode::kNotFound);
  CHECK(ResolveFieldPath(types.all(), "").status().code() == absl::StatusCode::kNotFound);
  CHECK(IsInvalid(ResolveFieldPath(nullptr, "x").status()));
}

// ---------------------------------------------------------------------------
// PercentDecode

TEST_CASE("percent-decoding takes either hex case and refuses broken escapes", "[unit]") {
  CHECK(*PercentDecode("a%2Fb", false) == "a/b");
  CHECK(*PercentDecode("a%2fb", false) == "a/b");
  CHECK(*PercentDecode("%E2%82%AC", false) == "\xe2\x82\xac");
  CHECK(*PercentDecode("a+b", false) == "a+b");
  CHECK(*PercentDecode("a+b", true) == "a b");
  CHECK(*PercentDecode("a%2Bb", true) == "a+b");
  CHECK(*PercentDecode("%25", false) == "%");
  CHECK(*PercentDecode("%00", false) == std::string(1, '\0'));
  CHECK(PercentDecode("", true)->empty());
  for (const char* bad : {"100%", "%G1", "%4", "%%41", "a%zzb"}) {
    INFO(bad);
    CHECK(IsInvalid(PercentDecode(bad, false).status()));
  }
}

// ---------------------------------------------------------------------------
// ApplyQueryString

TEST_CASE("a query string sets each parameter by either spelling, decoded", "[unit]") {
  ListOrdersRequest request;
  REQUIRE(ApplyQueryString(&request, "status=APPROVED&pageSize=5&page_token=abc%3D%3D", {}).ok());
  CHECK(request.status() == orders::v1::APPROVED);
  CHECK(request.page_size() == 5);
  CHECK(request.page_token() == "abc==");

  inventory::v1::ListProductsRequest products;
  REQUIRE(ApplyQueryString(&products, "query=red+mug%21&&pageSize=3&", {}).ok());
  CHECK(products.query() == "red mug!");
  CHECK(products.page_size() == 3);

  TestTypes types;
  auto m = types.NewAll();
  const Reflection* r = m->GetReflection();
  REQUIRE(ApplyQueryString(m.get(), "tags=x&tags=y&ids=1&ids=2&inner.name=n&=5", {}).ok());
  CHECK(r->FieldSize(*m, Field(*m, "tags")) == 2);
  CHECK(r->FieldSize(*m, Field(*m, "ids")) == 2);
  const Message& inner = r->GetMessage(*m, Field(*m, "inner"));
  CHECK(inner.GetReflection()->GetString(inner, Field(inner, "name")) == "n");
}

TEST_CASE("empty query values are empty strings; numbers and enums left empty stay unset", "[unit]") {
  ListOrdersRequest request;
  request.set_page_token("before");
  REQUIRE(ApplyQueryString(&request, "page_token=", {}).ok());
  CHECK(request.page_token().empty());
  request.set_page_token("before");
  REQUIRE(ApplyQueryString(&request, "pageToken", {}).ok());
  CHECK(request.page_token().empty());
  request.set_page_size(7);
  REQUIRE(ApplyQueryString(&request, "pageSize=&status=&pageToken=", {}).ok());
  CHECK(request.page_size() == 7);  // untouched
  CHECK(request.status() == 0);
  CHECK(IsInvalid(ApplyQueryString(&request, "pageSize=%20", {})));  // not empty: a bad number
}

TEST_CASE("query parameters bound by the path or body are ignored", "[unit]") {
  ListOrdersRequest request;
  REQUIRE(ApplyQueryString(&request, "status=NOPE&pageSize=5", {"status"}).ok());
  CHECK(request.status() == orders::v1::ORDER_STATUS_UNSPECIFIED);
  CHECK(request.page_size() == 5);
  ListOrdersRequest everything;
  REQUIRE(ApplyQueryString(&everything, "whatever=1&status=NOPE&pageSize=5", {"*"}).ok());
  CHECK(everything.page_size() == 0);

  TestTypes types;
  auto m = types.NewAll();
  const Reflection* r = m->GetReflection();
  REQUIRE(ApplyQueryString(m.get(), "inner.name=n&inner.n=oops", {"inner"}).ok());
  CHECK_FALSE(r->HasField(*m, Field(*m, "inner")));
  REQUIRE(ApplyQueryString(m.get(), "inner.name=n&inner.n=4", {"inner.name"}).ok());
  const Message& inner = r->GetMessage(*m, Field(*m, "inner"));
  CHECK(inner.GetReflection()->GetString(inner, Field(inner, "name")).empty());
  CHECK(inner.GetReflection()->GetInt32(inner, Field(inner, "n")) == 4);
  // A bound name is a whole field, not a prefix of one.
  REQUIRE(ApplyQueryString(m.get(), "i32=5", {"i"}).ok());
  CHECK(r->GetInt32(*m, Field(*m, "i32")) == 5);
}

TEST_CASE("bad query strings are INVALID_ARGUMENT naming the parameter", "[unit]") {
  ListOrdersRequest request;
  // Names that are no field are ignored (grpc-gateway does the same).
  REQUIRE(ApplyQueryString(&request, "foo=1&_=1732500000&page_size=7&utm_source=x", {}).ok());
  CHECK(request.page_size() == 7);
  request.Clear();
  CHECK(Text(ApplyQueryString(&request, "status=NOPE", {})) == "unknown value 'NOPE' for status");
  CHECK(Text(ApplyQueryString(&request, "pageSize=abc", {})) ==
        "invalid value 'abc' for pageSize: not an integer");
  const absl::Status twice = ApplyQueryString(&request, "pageSize=1&page_size=2", {});
  CHECK(IsInvalid(twice));
  CHECK(Contains(Text(twice), "more than once"));
  CHECK(IsInvalid(ApplyQueryString(&request, "page_token=%zz", {})));
  CHECK(IsInvalid(ApplyQueryString(&request, "%zz=1", {})));
  // A page size past int32 is capped (API.md), not refused; a negative one past it is refused.
  REQUIRE(ApplyQueryString(&request, "pageSize=99999999999", {}).ok());
  CHECK(request.page_size() == 2147483647);
  request.Clear();
  CHECK(IsInvalid(ApplyQueryString(&request, "pageSize=-99999999999", {})));
  CHECK(IsInvalid(ApplyQueryString(nullptr, "a=1", {})));

  TestTypes types;
  auto m = types.NewAll();
  CHECK(IsInvalid(ApplyQueryString(m.get(), "inners.name=x", {})));
  CHECK(IsInvalid(ApplyQueryString(m.get(), "inner=x", {})));
  CHECK(IsInvalid(ApplyQueryString(m.get(), "labels=x", {})));
}

}  // namespace
}  // namespace agora::gateway
