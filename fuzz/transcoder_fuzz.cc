// Fuzzes routing and transcoding over Agora's own routes: path templates
// (percent-decoding, verbs), query strings and JSON bodies into every
// request type, as the gateway does them. Input:
//   METHOD TARGET\n
//   name: value\n ...      (headers, until a blank line)
//   \n
//   BODY
// Nothing may crash; a request that transcodes parses back as its type.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "agora/customers/v1/customers.pb.h"
#include "agora/inventory/v1/inventory.pb.h"
#include "agora/orders/v1/orders.pb.h"
#include "agora/reviews/v1/reviews.pb.h"
#include "agora/saga/v1/admin.pb.h"
#include "gateway/route_table.h"
#include "gateway/transcoder.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"

namespace {

const agora::gateway::RouteTable& Routes() {
  static const auto* const table = [] {
    absl::StatusOr<agora::gateway::RouteTable> t = agora::gateway::RouteTable::Build({
        agora::customers::v1::Customer::descriptor()->file()->FindServiceByName("Customers"),
        agora::inventory::v1::Product::descriptor()->file()->FindServiceByName("Inventory"),
        agora::orders::v1::Order::descriptor()->file()->FindServiceByName("Orders"),
        agora::reviews::v1::Review::descriptor()->file()->FindServiceByName("Reviews"),
        agora::saga::v1::SagaTimeline::descriptor()->file()->FindServiceByName("Sagas"),
    });
    if (!t.ok()) std::abort();
    return new agora::gateway::RouteTable(std::move(*t));
  }();
  return *table;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  agora::gateway::HttpRequest request;
  const size_t eol = in.find('\n');
  const std::string_view first = in.substr(0, eol);
  in = eol == std::string_view::npos ? std::string_view() : in.substr(eol + 1);
  const size_t space = first.find(' ');
  if (space == std::string_view::npos) return 0;
  request.method = std::string(first.substr(0, space));
  const std::string_view target = first.substr(space + 1);
  const size_t q = target.find('?');
  request.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) request.query = std::string(target.substr(q + 1));
  while (!in.empty()) {
    const size_t end = in.find('\n');
    const std::string_view line = in.substr(0, end);
    in = end == std::string_view::npos ? std::string_view() : in.substr(end + 1);
    if (line.empty()) break;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    request.headers.emplace_back(std::move(name), std::string(value));
  }
  request.body = std::string(in);

  agora::gateway::RouteMatch match;
  std::vector<std::string> allowed;
  if (Routes().Find(request.method, request.path, &match, &allowed) !=
      agora::gateway::RouteTable::Outcome::kMatched) {
    return 0;
  }
  (void)agora::gateway::AcceptableContentType(request);
  absl::StatusOr<std::string> bytes = agora::gateway::BuildRequest(*match.binding, match, request);
  if (!bytes.ok()) return 0;
  google::protobuf::DynamicMessageFactory factory;
  std::unique_ptr<google::protobuf::Message> parsed(
      factory.GetPrototype(match.binding->method->input_type())->New());
  if (!parsed->ParseFromString(*bytes)) std::abort();  // the backend could not read it
  return 0;
}
