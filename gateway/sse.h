#pragma once

// A server-streaming backend method served as text/event-stream: one
// "data: <message as JSON>" event per message, flushed at once. An error
// before the first message is an ordinary JSON error response (so a watch of
// someone else's order is a plain 404); an error after it ends the stream
// with "event: error" carrying the error body. A client that disconnects
// cancels the gRPC call.

#include <functional>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "gateway/http_types.h"
#include "gateway/route_table.h"
#include "grpcpp/generic/generic_stub.h"

namespace agora::gateway {

struct SseCall {
  const Binding* binding = nullptr;
  std::string request;  // serialized
  absl::Duration timeout;
  // The first event (the current state) must come within this, or the
  // call is cancelled and answered 504 as a unary call's timeout is.
  absl::Duration first_event_timeout = absl::InfiniteDuration();
  std::vector<std::pair<std::string, std::string>> metadata;
  HttpResponse head;  // headers every answer carries (request id, CORS)
};

// Starts the call; `exchange` is answered exactly once, either way.
// `on_end(http_status)` runs when the exchange is over.
void StartSse(grpc::GenericStub& stub, SseCall call, Exchange exchange,
              std::function<void(int)> on_end);

}  // namespace agora::gateway
