#include "gateway/transcoder.h"

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "agora/api/v1/policy.pb.h"
#include "gateway/field_path.h"
#include "gateway/json_errors.h"
#include "gateway/json_printer.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "runtime/idempotency/key.h"
#include "runtime/text/utf8.h"

namespace agora::gateway {
namespace {

using google::protobuf::Message;

std::unique_ptr<Message> NewMessage(const google::protobuf::Descriptor* d) {
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(d)->New());
}

// Protobuf's JSON errors read like "INVALID_ARGUMENT:Cannot find field: fooBar";
// keep the part a client can act on.
std::string JsonError(const std::string& detail) {
  const auto colon = detail.find(':');
  return absl::StrCat("invalid JSON body: ",
                      colon == std::string::npos ? detail : detail.substr(colon + 1));
}

absl::Status ParseJsonInto(const std::string& json, Message* out) {
  google::protobuf::util::JsonParseOptions options;
  // Fields the method does not know are ignored, as grpc-gateway v2 does by
  // default (API.md: where it is silent, grpc-gateway's behaviour): a client
  // may send more than a method reads (a whole product to PATCH, a body
  // idempotencyKey where only the header is honoured). Malformed JSON and a
  // known field of the wrong type still answer 400. (Protobuf then also
  // ignores unknown enum names, and no request message with a body has an
  // enum field: gateway_unit_test checks that.)
  options.ignore_unknown_fields = true;
  options.case_insensitive_enum_parsing = false;
  // First the JSON types, which protobuf's parser checks too loosely
  // (json_errors.h).
  if (std::string mistyped = DescribeJsonError(json, out->GetDescriptor()); !mistyped.empty()) {
    return absl::InvalidArgumentError("invalid JSON body: " + mistyped);
  }
  const auto status = google::protobuf::util::JsonStringToMessage(json, out, options);
  if (status.ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(JsonError(std::string(status.message())));
}

}  // namespace

bool AcceptableContentType(const HttpRequest& request) {
  const std::string type = absl::AsciiStrToLower(std::string(request.Header("content-type")));
  // A body that names no type is read as JSON, as grpc-gateway and Envoy's
  // transcoder read it (a client that forgot the header); a type named and
  // not JSON is refused.
  if (type.empty()) return true;
  const std::string base(absl::StripAsciiWhitespace(type.substr(0, type.find(';'))));
  return base == "application/json" || (base.size() > 5 && base.substr(base.size() - 5) == "+json");
}

absl::StatusOr<std::string> BuildRequest(const Binding& binding, const RouteMatch& match,
                                         const HttpRequest& request) {
  std::unique_ptr<Message> message = NewMessage(binding.method->input_type());
  std::vector<std::string> bound = binding.variables;
  if (!binding.body.empty() && !request.body.empty()) {
    if (!runtime::text::CodePointCount(request.body).has_value()) {
      return absl::InvalidArgumentError("request body is not valid UTF-8");
    }
    if (binding.body == "*") {
      if (absl::Status s = ParseJsonInto(request.body, message.get()); !s.ok()) return s;
    } else {
      const google::protobuf::FieldDescriptor* field =
          message->GetDescriptor()->FindFieldByName(binding.body);
      if (field == nullptr || field->type() != google::protobuf::FieldDescriptor::TYPE_MESSAGE ||
          field->is_repeated()) {
        return absl::InternalError("unsupported body field " + binding.body);
      }
      Message* sub = message->GetReflection()->MutableMessage(message.get(), field);
      if (absl::Status s = ParseJsonInto(request.body, sub); !s.ok()) return s;
      bound.push_back(binding.body);
    }
  }
  for (const auto& [path, value] : match.variables) {
    // Path variables win over the body (as in grpc-gateway).
    if (absl::Status s = SetFieldFromText(message.get(), path, value); !s.ok()) return s;
  }
  if (binding.body != "*" && !request.query.empty()) {
    if (absl::Status s = ApplyQueryString(message.get(), request.query, bound); !s.ok()) return s;
  }
  // Idempotency-Key header -> idempotency_key; both given must agree.
  if (const std::string_view key = request.Header("idempotency-key"); !key.empty()) {
    // Checked here too, not only by ForwardedMetadata: a string field with
    // bytes that are not UTF-8 serializes into a request the backend cannot
    // parse (found by transcoder_fuzz).
    if (!runtime::idempotency::ValidateKey(key).ok()) {
      return absl::InvalidArgumentError(
          "header Idempotency-Key must be UTF-8, at most 255 characters, without control characters");
    }
    const google::protobuf::FieldDescriptor* field =
        message->GetDescriptor()->FindFieldByName("idempotency_key");
    if (field != nullptr && field->type() == google::protobuf::FieldDescriptor::TYPE_STRING) {
      const std::string& in_body = message->GetReflection()->GetString(*message, field);
      if (in_body.empty()) {
        message->GetReflection()->SetString(message.get(), field, std::string(key));
      } else if (in_body != key) {
        // Only one could be recorded, and a retry carrying only the other
        // would repeat the effect.
        return absl::InvalidArgumentError("header Idempotency-Key and body idempotencyKey differ");
      }
    }
  }
  return message->SerializeAsString();
}


absl::StatusOr<std::string> RenderResponse(const Binding& binding, const std::string& bytes) {
  std::unique_ptr<Message> message = NewMessage(binding.method->output_type());
  if (!message->ParseFromString(bytes)) return absl::InternalError("backend answer does not parse");
  const Message* printed = message.get();
  if (!binding.response_body.empty()) {
    const auto* field = message->GetDescriptor()->FindFieldByName(binding.response_body);
    if (field != nullptr && field->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE &&
        !field->is_repeated()) {
      printed = &message->GetReflection()->GetMessage(*message, field);
    }
  }
  std::string json;
  json.reserve(bytes.size() * 2 + 64);
  absl::Status fast = AppendJson(*printed, &json);
  if (fast.ok()) return json;
  if (fast.code() != absl::StatusCode::kUnimplemented) return absl::InternalError("backend answer cannot be rendered");
  // A type the fast printer does not know: protobuf's own.
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = false;
  const auto status = google::protobuf::util::MessageToJsonString(*printed, &json, options);
  if (!status.ok()) return absl::InternalError("backend answer cannot be rendered");
  return json;
}

std::string LocationFor(const Binding& binding, const std::string& response_bytes) {
  const auto& options = binding.method->options();
  if (!options.HasExtension(agora::api::v1::policy)) return "";
  const std::string& tmpl = options.GetExtension(agora::api::v1::policy).location();
  if (tmpl.empty()) return "";
  std::unique_ptr<Message> message = NewMessage(binding.method->output_type());
  if (!message->ParseFromString(response_bytes)) return "";
  std::string out;
  size_t i = 0;
  while (i < tmpl.size()) {
    const size_t open = tmpl.find('{', i);
    if (open == std::string::npos) {
      out += tmpl.substr(i);
      break;
    }
    const size_t close = tmpl.find('}', open);
    if (close == std::string::npos) return "";
    out += tmpl.substr(i, open - i);
    const auto* field = message->GetDescriptor()->FindFieldByName(tmpl.substr(open + 1, close - open - 1));
    if (field == nullptr || field->type() != google::protobuf::FieldDescriptor::TYPE_STRING) return "";
    out += message->GetReflection()->GetString(*message, field);
    i = close + 1;
  }
  return out;
}

}  // namespace agora::gateway
