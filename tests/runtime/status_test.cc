// Error reasons travel from absl::Status through gRPC and back.

#include <catch2/catch.hpp>

#include "google/rpc/status.pb.h"
#include "grpcpp/grpcpp.h"
#include "runtime/grpc/client.h"
#include "runtime/grpc/status.h"
#include "runtime/status/reason.h"

namespace agora::runtime {
namespace {

TEST_CASE("a reason attached to a status survives the trip through a gRPC status", "[unit]") {
  const absl::Status s = status::WithReason(absl::AlreadyExistsError("taken"), "EMAIL_TAKEN");
  CHECK(status::ReasonOf(s) == "EMAIL_TAKEN");
  const grpc::Status wire = grpc_server::ToGrpcStatus(s);
  CHECK(wire.error_code() == grpc::StatusCode::ALREADY_EXISTS);
  CHECK(wire.error_message() == "taken");
  google::rpc::Status details;
  REQUIRE(details.ParseFromString(wire.error_details()));
  CHECK(details.code() == 6);
  REQUIRE(details.details_size() == 1);
  CHECK(details.details(0).type_url() == status::kErrorInfoType);
  const absl::Status back = grpc_server::FromGrpcStatus(wire);
  CHECK(back.code() == absl::StatusCode::kAlreadyExists);
  CHECK(status::ReasonOf(back) == "EMAIL_TAKEN");
}

TEST_CASE("a status without payloads sends no details; internal errors send neither text nor details",
          "[unit]") {
  CHECK(grpc_server::ToGrpcStatus(absl::NotFoundError("no")).error_details().empty());
  const grpc::Status internal =
      grpc_server::ToGrpcStatus(status::WithReason(absl::InternalError("SELECT ... failed"), "DB"));
  CHECK(internal.error_message() == "internal error");
  CHECK(internal.error_details().empty());
  CHECK(status::ReasonOf(absl::NotFoundError("no")).empty());
  CHECK(status::WithReason(absl::OkStatus(), "X").ok());
}

TEST_CASE("a backend's failure reaches our caller with a code that means the same to it and a message "
          "naming the backend, never gRPC's own text",
          "[unit]") {
  const std::string secret = "connect to 10.1.2.3:50061 failed";
  auto fail = [&](grpc::StatusCode code) {
    return grpc_client::BackendFailure(grpc::Status(code, secret), "inventory", "GetProduct");
  };
  CHECK(fail(grpc::StatusCode::UNAVAILABLE) == absl::UnavailableError("inventory is unavailable, retry later"));
  CHECK(fail(grpc::StatusCode::RESOURCE_EXHAUSTED).code() == absl::StatusCode::kUnavailable);
  CHECK(fail(grpc::StatusCode::DEADLINE_EXCEEDED) ==
        absl::DeadlineExceededError("inventory did not answer in time"));
  CHECK(fail(grpc::StatusCode::CANCELLED).code() == absl::StatusCode::kCancelled);
  for (const grpc::StatusCode code : {grpc::StatusCode::INTERNAL, grpc::StatusCode::UNKNOWN,
                                      grpc::StatusCode::DATA_LOSS, grpc::StatusCode::UNIMPLEMENTED}) {
    const absl::Status s = fail(code);
    CHECK(s == absl::InternalError("inventory answered an error"));
    CHECK(s.message().find("10.1.2.3") == absl::string_view::npos);
  }
}

}  // namespace
}  // namespace agora::runtime
