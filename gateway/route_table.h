#pragma once

// The gateway's routing: every google.api.http rule of the public services,
// compiled once into a segment trie, matched against request paths without
// regular expressions. Path template syntax and matching follow
// google/api/http.proto, grpc-gateway and Envoy's gRPC-JSON transcoder.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace google::protobuf {
class MethodDescriptor;
class ServiceDescriptor;
}  // namespace google::protobuf

namespace agora::gateway {

namespace route_table_internal {
struct Node;
struct Route;
}  // namespace route_table_internal

// One HTTP binding of a gRPC method: the rule itself or one of its
// additional_bindings.
struct Binding {
  std::string http_method;    // "GET", "POST", "PUT", "PATCH", "DELETE" or a custom kind
  std::string path_template;  // as written in the proto, e.g. "/v1/products/{id}:restock"
  std::string body;           // "" (no body), "*" or a top-level request field (proto name)
  std::string response_body;  // "" or a top-level response field (proto name)
  const google::protobuf::MethodDescriptor* method = nullptr;  // not owned
  // Request field paths bound by the template, in template order, as proto
  // names joined by '.' ("id", "product.id") whatever spelling the template used.
  std::vector<std::string> variables;
};

struct RouteMatch {
  const Binding* binding = nullptr;  // points into RouteTable::bindings()
  // Binding::variables[i] -> its percent-decoded value, in the same order.
  std::vector<std::pair<std::string, std::string>> variables;
};

class RouteTable final {
 public:
  // One binding per google.api.http rule and per additional_binding, of every
  // method of `services` that has a rule (methods without one are skipped).
  // The descriptors must outlive the table.
  //
  // INVALID_ARGUMENT, naming the method and the template, for:
  //   - a malformed template (see below), a rule without a pattern, an empty
  //     custom kind, additional_bindings nested in an additional binding;
  //   - a variable naming an unknown field, a repeated or map field, a message
  //     field, or a path through a repeated field; a field bound twice;
  //   - a body or response_body that is not "" / "*" (body only) / a top-level
  //     field of the request / response;
  //   - a GET or DELETE with a body;
  //   - two bindings with the same HTTP method and the same template shape
  //     (same literals, wildcards at the same positions, same verb): the
  //     message names both methods and both templates.
  //
  // Template syntax (google/api/http.proto):
  //   Template = "/" Segments [ ":" Verb ] | "/" ;
  //   Segment  = "*" | "**" | LITERAL | "{" FieldPath [ "=" Segments ] "}" ;
  // "**" may only be the last segment; a variable holds no other variable;
  // literals and verbs are made of RFC 3986 unreserved and sub-delim
  // characters, '@' and (literals only, not the last) ':', never '%' or '*'.
  static absl::StatusOr<RouteTable> Build(
      const std::vector<const google::protobuf::ServiceDescriptor*>& services);

  enum class Outcome { kMatched, kNotFound, kMethodNotAllowed };

  // Matches a request path (no query string; raw, still percent-encoded) and
  // HTTP method (case-sensitive, as HTTP says).
  //
  // - The path must start with '/'. It is split on '/'; literals compare to
  //   the raw segments byte for byte; "*" matches one non-empty segment; "**"
  //   matches the rest, zero or more segments.
  // - Verbs: when the last segment ends in ":<v>" and <v> is a verb some
  //   template declares, the path is first matched as segments + verb <v>,
  //   against templates with that verb only. Only if no template of any method
  //   matches that way is the whole last segment matched against templates
  //   without a verb. So "/v1/orders/{id}" never takes "/v1/orders/abc:cancel"
  //   (GET on it is 405, Allow: POST), yet ids holding a ':' still reach plain
  //   routes, and an encoded "%3A" is never a verb separator.
  // - Among the templates that match for the method, the most specific wins:
  //   comparing segment by segment from the left, a literal beats "*", which
  //   beats "**"; a template ending exactly beats a "**" matching nothing.
  //   A binding whose custom kind is "*" matches any method, after the
  //   bindings of that exact method at the same template.
  // - Variables are percent-decoded, except that "%2F" (either case) stays as
  //   written, in single- and multi-segment variables alike (grpc-gateway's
  //   "all except slash" mode): a decoded '/' in a value always was a segment
  //   separator. '+' is not a space in paths. A variable with a malformed
  //   escape makes the path not found.
  //
  // kMatched fills `match`. kMethodNotAllowed: the path matches only bindings
  // of other methods; `allowed` gets those methods, sorted, unique (for the
  // Allow header). kNotFound: nothing matches. `match` and `allowed` may be
  // null; a filled `match` reuses its strings' capacity. Allocates nothing
  // beyond the output for paths of up to 16 segments.
  //
  // Thread-safe: the table is read-only after Build.
  Outcome Find(std::string_view http_method, std::string_view path, RouteMatch* match,
               std::vector<std::string>* allowed) const;

  // In the order of `services`, their methods, then each rule before its
  // additional bindings. Stable addresses for the table's lifetime.
  const std::vector<Binding>& bindings() const { return bindings_; }

  RouteTable(RouteTable&&) noexcept;
  RouteTable& operator=(RouteTable&&) noexcept;
  RouteTable(const RouteTable&) = delete;
  RouteTable& operator=(const RouteTable&) = delete;
  ~RouteTable();

 private:
  RouteTable();

  Outcome Resolve(std::string_view http_method, const std::string_view* segments, size_t count,
                  std::string_view verb, RouteMatch* match,
                  std::vector<std::string>* allowed) const;
  bool FillVariables(int binding, const std::string_view* segments, size_t count,
                     RouteMatch* match) const;

  std::vector<Binding> bindings_;
  std::vector<route_table_internal::Route> routes_;  // parallel to bindings_
  std::vector<route_table_internal::Node> nodes_;    // the trie; nodes_[0] is the root
  std::vector<std::string> verbs_;                   // every verb some template declares
};

// Whether `s` is an RFC 9110 token, as an HTTP method is spelled.
bool IsHttpToken(std::string_view s);

}  // namespace agora::gateway
