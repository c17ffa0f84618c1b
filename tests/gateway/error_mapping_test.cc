#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>

#include "agora/api/v1/errors.pb.h"
#include "gateway/error_mapping.h"
#include "google/rpc/status.pb.h"

namespace agora::gateway {
namespace {

TEST_CASE("gRPC codes map to the HTTP statuses of the contract", "[unit]") {
  const std::pair<int, int> table[] = {{0, 200},  {1, 499},  {2, 500},  {3, 400},  {4, 504},  {5, 404},
                                       {6, 409},  {7, 403},  {8, 429},  {9, 400},  {10, 409}, {11, 400},
                                       {12, 501}, {13, 500}, {14, 503}, {15, 500}, {16, 401}, {99, 500}};
  for (const auto& [code, status] : table) {
    INFO("code " << code);
    CHECK(HttpStatusFromGrpcCode(code) == status);
  }
}

TEST_CASE("an error body is JSON with code, message and details; 401 and 429 add their headers",
          "[unit]") {
  const HttpResponse r = ErrorResponse(16, "token \"expired\"");
  CHECK(r.status == 401);
  const auto body = nlohmann::json::parse(r.body);
  CHECK(body["code"] == 16);
  CHECK(body["message"] == "token \"expired\"");
  CHECK(body["details"].is_array());
  bool challenge = false;
  for (const auto& [k, v] : r.headers) challenge |= (k == "WWW-Authenticate" && v.rfind("Bearer ", 0) == 0);
  CHECK(challenge);
  const HttpResponse limited = ErrorResponse(8, "slow down");
  bool retry = false;
  for (const auto& [k, v] : limited.headers) retry |= (k == "Retry-After");
  CHECK(limited.status == 429);
  CHECK(retry);
  const HttpResponse detailed = ErrorResponse(3, "bad", R"([{"field":"x"}])");
  CHECK(nlohmann::json::parse(detailed.body)["details"][0]["field"] == "x");
}

TEST_CASE("transport and server-fault messages are replaced by fixed texts", "[unit]") {
  const std::string leak = "failed to connect to all addresses; last error: ipv4:10.0.3.7:50061: Connection refused";
  for (int code : {1, 2, 4, 13, 14, 15}) {
    INFO("code " << code);
    bool replaced = false;
    CHECK(PublicMessage(code, leak, &replaced) != leak);
    CHECK(replaced);
    CHECK(ErrorResponse(code, leak).body.find("10.0.3.7") == std::string::npos);
  }
  bool replaced = true;
  CHECK(PublicMessage(5, "order not found", &replaced) == "order not found");
  CHECK_FALSE(replaced);
}

TEST_CASE("status details from a backend are printed with protobuf's JSON mapping", "[unit]") {
  CHECK(DetailsJson("") == "[]");
  CHECK(DetailsJson("\xff\xff not a status") == "[]");
  google::rpc::Status status;
  status.set_code(6);
  agora::api::v1::ErrorInfo info;
  info.set_reason("EMAIL_TAKEN");
  info.set_domain("agora");
  status.add_details()->PackFrom(info);
  google::protobuf::Any* unknown = status.add_details();
  unknown->set_type_url("type.googleapis.com/some.unknown.Type");
  unknown->set_value("\x08\x01");
  const auto details = nlohmann::json::parse(DetailsJson(status.SerializeAsString()));
  REQUIRE(details.size() == 2);
  CHECK(details[0]["@type"] == "type.googleapis.com/agora.api.v1.ErrorInfo");
  CHECK(details[0]["reason"] == "EMAIL_TAKEN");
  CHECK(details[0]["domain"] == "agora");
  CHECK(details[1] == nlohmann::json{{"@type", "type.googleapis.com/some.unknown.Type"}});
  const HttpResponse r = ErrorResponse(6, "taken", DetailsJson(status.SerializeAsString()));
  CHECK(nlohmann::json::parse(r.body)["details"][0]["reason"] == "EMAIL_TAKEN");
}

std::string StatusWithInfo(int code, const std::map<std::string, std::string>& metadata) {
  agora::api::v1::ErrorInfo info;
  info.set_reason("SIGN_IN_THROTTLED");
  info.set_domain("agora");
  for (const auto& [k, v] : metadata) (*info.mutable_metadata())[k] = v;
  google::rpc::Status status;
  status.set_code(code);
  status.add_details()->PackFrom(info);
  return status.SerializeAsString();
}

std::string RetryAfter(const HttpResponse& r) {
  for (const auto& [k, v] : r.headers) {
    if (k == "Retry-After") return v;
  }
  return "";
}

TEST_CASE("a backend's 429 carries the Retry-After its ErrorInfo names, else 1", "[unit]") {
  CHECK(RetryAfter(BackendError(8, "slow down", StatusWithInfo(8, {{"retry_after_seconds", "120"}}))) == "120");
  CHECK(RetryAfter(BackendError(8, "slow down", "")) == "1");
  for (const char* bad : {"0", "-5", "abc", "99999999", ""}) {
    INFO(bad);
    CHECK(RetryAfter(BackendError(8, "slow down", StatusWithInfo(8, {{"retry_after_seconds", bad}}))) == "1");
  }
  const HttpResponse not_limited = BackendError(3, "bad", StatusWithInfo(3, {{"retry_after_seconds", "120"}}));
  CHECK(not_limited.status == 400);
  CHECK(RetryAfter(not_limited).empty());
  CHECK(nlohmann::json::parse(not_limited.body)["details"][0]["reason"] == "SIGN_IN_THROTTLED");
}

}  // namespace
}  // namespace agora::gateway
