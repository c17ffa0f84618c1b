#include "gateway/error_mapping.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "agora/api/v1/errors.pb.h"
#include "google/rpc/status.pb.h"
#include "runtime/grpc/status.h"
#include "runtime/log/log.h"

namespace agora::gateway {

int HttpStatusFromGrpcCode(int code) {
  switch (code) {
    case 0: return 200;    // OK
    case 1: return 499;    // CANCELLED
    case 2: return 500;    // UNKNOWN
    case 3: return 400;    // INVALID_ARGUMENT
    case 4: return 504;    // DEADLINE_EXCEEDED
    case 5: return 404;    // NOT_FOUND
    case 6: return 409;    // ALREADY_EXISTS
    case 7: return 403;    // PERMISSION_DENIED
    case 8: return 429;    // RESOURCE_EXHAUSTED
    case 9: return 400;    // FAILED_PRECONDITION
    case 10: return 409;   // ABORTED
    case 11: return 400;   // OUT_OF_RANGE
    case 12: return 501;   // UNIMPLEMENTED
    case 13: return 500;   // INTERNAL
    case 14: return 503;   // UNAVAILABLE
    case 15: return 500;   // DATA_LOSS
    case 16: return 401;   // UNAUTHENTICATED
    default: return 500;
  }
}

std::string DetailsJson(std::string_view status_details) {
  if (status_details.empty()) return "[]";
  // Used, so that the linker keeps errors.pb.o and the type is in the
  // generated pool that the JSON printer resolves "@type" against.
  static const bool kErrorInfoKnown = agora::api::v1::ErrorInfo::descriptor() != nullptr;
  if (!kErrorInfoKnown) return "[]";
  google::rpc::Status status;
  if (!status.ParseFromArray(status_details.data(), static_cast<int>(status_details.size()))) return "[]";
  std::string out = "[";
  for (const google::protobuf::Any& any : status.details()) {
    std::string one;
    if (!google::protobuf::util::MessageToJsonString(any, &one).ok()) {
      one = "{\"@type\":";
      runtime::log::AppendJsonString(any.type_url(), &one);
      one += "}";
    }
    absl::StrAppend(&out, out.size() > 1 ? "," : "", one);
  }
  out += "]";
  return out;
}

HttpResponse GatewayError(int http_status, int grpc_code, std::string_view message) {
  HttpResponse r;
  r.status = http_status;
  r.Set("Content-Type", "application/json");
  std::string body = absl::StrCat("{\"code\":", grpc_code, ",\"message\":");
  runtime::log::AppendJsonString(message, &body);
  body += ",\"details\":[]}";
  r.body = std::move(body);
  if (http_status == 401) {
    std::string challenge = "Bearer realm=\"agora\", error=\"invalid_token\", error_description=";
    runtime::log::AppendJsonString(message, &challenge);
    r.Set("WWW-Authenticate", challenge);
  }
  if (http_status == 429) r.Set("Retry-After", "1");
  return r;
}

std::string_view PublicMessage(int grpc_code, std::string_view message, bool* replaced) {
  std::string_view fixed;
  switch (grpc_code) {
    case 1: fixed = "the request was cancelled"; break;
    case 4: fixed = "the request took longer than its deadline"; break;
    case 14: fixed = "a backend service is unavailable; try again"; break;
    case 2:
    case 13:
    case 15: fixed = "internal error"; break;
    default: break;
  }
  if (replaced != nullptr) *replaced = !fixed.empty();
  return fixed.empty() ? message : fixed;
}

HttpResponse ErrorResponse(int grpc_code, std::string_view message, std::string_view details_json) {
  bool replaced = false;
  const std::string_view shown = PublicMessage(grpc_code, message, &replaced);
  if (replaced && message != shown) {  // the client gets the fixed text; the operator the original
    runtime::log::Warn("backend_error", {{"code", runtime::grpc_server::GrpcCodeName(grpc_code)}, {"message", message}});
  }
  HttpResponse r = GatewayError(HttpStatusFromGrpcCode(grpc_code), grpc_code, shown);
  if (details_json != "[]") {
    r.body.resize(r.body.size() - 3);  // drop "[]}"
    r.body += std::string(details_json) + "}";
  }
  return r;
}

HttpResponse BackendError(int grpc_code, std::string_view message, std::string_view status_details) {
  HttpResponse r = ErrorResponse(grpc_code, message, DetailsJson(status_details));
  if (r.status != 429 || status_details.empty()) return r;
  google::rpc::Status status;
  if (!status.ParseFromArray(status_details.data(), static_cast<int>(status_details.size()))) return r;
  for (const google::protobuf::Any& any : status.details()) {
    agora::api::v1::ErrorInfo info;
    if (!any.UnpackTo(&info)) continue;
    auto it = info.metadata().find("retry_after_seconds");
    int64_t seconds = 0;
    if (it == info.metadata().end() || !absl::SimpleAtoi(it->second, &seconds) || seconds < 1 ||
        seconds > 86400) {
      continue;
    }
    r.Set("Retry-After", absl::StrCat(seconds));
  }
  return r;
}

HttpResponse ErrorResponse(const absl::Status& status) {
  const absl::string_view m = status.message();
  return ErrorResponse(static_cast<int>(status.code()), std::string_view(m.data(), m.size()));
}

}  // namespace agora::gateway
