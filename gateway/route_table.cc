#include "gateway/route_table.h"

#include <algorithm>
#include <cstdint>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "agora/api/v1/policy.pb.h"
#include "gateway/field_path.h"
#include "google/api/annotations.pb.h"
#include "google/api/http.pb.h"
#include "google/protobuf/descriptor.h"
#include "runtime/status/macros.h"

namespace agora::gateway {
namespace route_table_internal {

// Templates that end at a node, by verb ("" for none).
struct Leaf {
  std::string verb;
  std::vector<std::pair<std::string, int>> methods;  // HTTP method -> index of the binding
};

// One trie level per path segment. Templates with the same shape share their
// path through the trie whatever their variable names, so a conflict is two
// bindings of one method on one leaf.
struct Node {
  std::vector<std::pair<std::string, int>> literals;  // sorted by literal -> child
  int single = -1;                                    // "*" child
  int multi = -1;                                     // "**" child: takes the rest
  std::vector<Leaf> leaves;
};

// The segments a variable covers: [begin, end), or [begin, path end) when it
// ends with "**".
struct Span {
  uint32_t begin = 0;
  uint32_t end = 0;
  bool to_end = false;
};

// Per binding: where its variables are (parallel to Binding::variables).
struct Route {
  std::vector<Span> spans;
};

}  // namespace route_table_internal

namespace {

using google::api::HttpRule;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;
using route_table_internal::Leaf;
using route_table_internal::Node;
using route_table_internal::Route;
using route_table_internal::Span;

// Debian's Abseil has its own string_view: StrCat & co. do not take ours.
absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// ---------------------------------------------------------------------------
// Template parsing.

enum class SegmentKind { kLiteral, kSingle, kMulti };

struct Segment {
  SegmentKind kind = SegmentKind::kLiteral;
  std::string literal;
};

struct ParsedTemplate {
  std::vector<Segment> segments;
  std::vector<std::pair<std::string, Span>> variables;  // field path as written -> span
  std::string verb;
};

// RFC 3986 unreserved and sub-delims (but '*', a wildcard), and '@'.
bool IsLiteralChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("-._~!$&'()+,;=@").find(c) != std::string_view::npos;
}

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9'); }

class TemplateParser {
 public:
  explicit TemplateParser(std::string_view text) : t_(text) {}

  absl::Status Parse(ParsedTemplate* out) {
    if (t_.empty() || t_[0] != '/') return Fail("a template starts with '/'");
    if (t_ == "/") return absl::OkStatus();
    pos_ = 1;
    while (true) {
      if (Peek() == '{') {
        AGORA_RETURN_IF_ERROR(ParseVariable(out));
      } else {
        AGORA_RETURN_IF_ERROR(ParseSegment(/*in_variable=*/false, out));
      }
      if (AtEnd()) break;
      if (Peek() == '/') {
        ++pos_;
        continue;
      }
      if (Peek() == ':') {
        ++pos_;
        AGORA_RETURN_IF_ERROR(ParseVerb(out));
        break;
      }
      return Fail(absl::StrCat("unexpected '", std::string(1, Peek()), "'"));
    }
    for (size_t i = 0; i + 1 < out->segments.size(); ++i) {
      if (out->segments[i].kind == SegmentKind::kMulti) {
        return absl::InvalidArgumentError("'**' must be the last segment");
      }
    }
    return absl::OkStatus();
  }

 private:
  bool AtEnd() const { return pos_ >= t_.size(); }
  char Peek() const { return AtEnd() ? '\0' : t_[pos_]; }
  absl::Status Fail(std::string_view why) const {
    return absl::InvalidArgumentError(absl::StrCat(Av(why), " (at offset ", pos_, ")"));
  }

  // "*", "**" or a literal. Outside variables a ':' belongs to the literal
  // unless it starts the verb, i.e. unless no '/' or '{' follows.
  absl::Status ParseSegment(bool in_variable, ParsedTemplate* out) {
    if (t_.substr(pos_, 2) == "**") {
      pos_ += 2;
      out->segments.push_back({SegmentKind::kMulti, ""});
      return absl::OkStatus();
    }
    if (Peek() == '*') {
      ++pos_;
      out->segments.push_back({SegmentKind::kSingle, ""});
      return absl::OkStatus();
    }
    const size_t start = pos_;
    while (!AtEnd() && Peek() != '/' && Peek() != '}') {
      const char c = Peek();
      if (c == ':') {
        if (in_variable) return Fail("':' inside a variable");
        if (t_.find_first_of("/{", pos_) == std::string_view::npos) break;  // the verb
      } else if (!IsLiteralChar(c)) {
        return Fail(absl::StrCat("'", std::string(1, c), "' in a literal segment"));
      }
      ++pos_;
    }
    if (pos_ == start) return Fail("empty segment");
    out->segments.push_back({SegmentKind::kLiteral, std::string(t_.substr(start, pos_ - start))});
    return absl::OkStatus();
  }

  // "{" FieldPath [ "=" Segments ] "}"
  absl::Status ParseVariable(ParsedTemplate* out) {
    ++pos_;  // '{'
    const size_t start = pos_;
    bool ident_start = true;
    while (!AtEnd() && (IsIdentChar(Peek()) || Peek() == '.')) {
      if (ident_start && !IsIdentStart(Peek())) return Fail("bad field path in a variable");
      ident_start = Peek() == '.';
      ++pos_;
    }
    if (pos_ == start || ident_start) return Fail("bad field path in a variable");
    std::string field_path(t_.substr(start, pos_ - start));
    Span span;
    span.begin = static_cast<uint32_t>(out->segments.size());
    if (Peek() == '=') {
      ++pos_;
      while (true) {
        if (Peek() == '{') return Fail("a variable inside a variable");
        AGORA_RETURN_IF_ERROR(ParseSegment(/*in_variable=*/true, out));
        if (Peek() != '/') break;
        ++pos_;
      }
    } else {
      out->segments.push_back({SegmentKind::kSingle, ""});
    }
    if (Peek() != '}') return Fail("expected '}'");
    ++pos_;
    span.end = static_cast<uint32_t>(out->segments.size());
    span.to_end = out->segments.back().kind == SegmentKind::kMulti;
    out->variables.emplace_back(std::move(field_path), span);
    return absl::OkStatus();
  }

  absl::Status ParseVerb(ParsedTemplate* out) {
    const std::string_view verb = t_.substr(pos_);
    if (verb.empty()) return Fail("empty verb");
    for (const char c : verb) {
      if (!IsLiteralChar(c)) return Fail(absl::StrCat("'", std::string(1, c), "' in the verb"));
    }
    out->verb = std::string(verb);
    pos_ = t_.size();
    return absl::OkStatus();
  }

  std::string_view t_;
  size_t pos_ = 0;
};

// ---------------------------------------------------------------------------
// Bindings.

std::string Describe(const Binding& b) {
  return absl::StrCat(b.http_method, " ", b.path_template, " (", b.method->full_name(), ")");
}

// A top-level field of `d` for body / response_body, as its proto name.
absl::StatusOr<std::string> TopLevelField(const Descriptor* d, const std::string& name,
                                          const Binding& b, const char* what) {
  auto chain = ResolveFieldPath(d, name);
  if (name.find('.') != std::string::npos || !chain.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        Describe(b), ": ", what, " '", name, "' is not a top-level field of ", d->full_name()));
  }
  return (*chain)[0]->name();
}

// Resolves the template's variables against the request type; fills
// b->variables (proto names) and route->spans.
absl::Status BindVariables(const ParsedTemplate& t, Binding* b, Route* route) {
  const Descriptor* input = b->method->input_type();
  for (const auto& [path, span] : t.variables) {
    auto chain = ResolveFieldPath(input, path);
    if (!chain.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(Describe(*b), ": variable {", path,
                                                     "} names no field of ", input->full_name()));
    }
    std::string canonical;
    for (const FieldDescriptor* f : *chain) {
      if (f->is_repeated()) {
        return absl::InvalidArgumentError(absl::StrCat(
            Describe(*b), ": variable {", path, "} goes through the repeated field ", f->name()));
      }
      absl::StrAppend(&canonical, canonical.empty() ? "" : ".", f->name());
    }
    if (chain->back()->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      return absl::InvalidArgumentError(absl::StrCat(Describe(*b), ": variable {", path,
                                                     "} names a message; bind one of its fields"));
    }
    if (std::find(b->variables.begin(), b->variables.end(), canonical) != b->variables.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(Describe(*b), ": field ", canonical, " is bound twice"));
    }
    b->variables.push_back(std::move(canonical));
    route->spans.push_back(span);
  }
  return absl::OkStatus();
}

// The binding of one rule (not its additional bindings), with its parsed
// template and variable spans.
absl::Status MakeBinding(const MethodDescriptor* method, const HttpRule& rule, Binding* b,
                         ParsedTemplate* t, Route* route) {
  b->method = method;
  switch (rule.pattern_case()) {
    case HttpRule::kGet:
      b->http_method = "GET";
      b->path_template = rule.get();
      break;
    case HttpRule::kPut:
      b->http_method = "PUT";
      b->path_template = rule.put();
      break;
    case HttpRule::kPost:
      b->http_method = "POST";
      b->path_template = rule.post();
      break;
    case HttpRule::kDelete:
      b->http_method = "DELETE";
      b->path_template = rule.delete_();
      break;
    case HttpRule::kPatch:
      b->http_method = "PATCH";
      b->path_template = rule.patch();
      break;
    case HttpRule::kCustom:
      b->http_method = rule.custom().kind();
      b->path_template = rule.custom().path();
      if (!IsHttpToken(b->http_method)) {
        return absl::InvalidArgumentError(absl::StrCat(
            method->full_name(), ": custom HTTP method '", b->http_method, "' is not a token"));
      }
      break;
    case HttpRule::PATTERN_NOT_SET:
      return absl::InvalidArgumentError(absl::StrCat(
          method->full_name(), ": an HTTP rule needs get, put, post, delete, patch or custom"));
  }
  if (absl::Status s = TemplateParser(b->path_template).Parse(t); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Describe(*b), ": malformed path template: ", s.message()));
  }
  AGORA_RETURN_IF_ERROR(BindVariables(*t, b, route));
  if (rule.body() == "*") {
    b->body = "*";
  } else if (!rule.body().empty()) {
    AGORA_ASSIGN_OR_RETURN(b->body, TopLevelField(method->input_type(), rule.body(), *b, "body"));
  }
  if ((b->http_method == "GET" || b->http_method == "DELETE") && !b->body.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Describe(*b), ": a ", b->http_method, " binding cannot have a body"));
  }
  if (!rule.response_body().empty()) {
    AGORA_ASSIGN_OR_RETURN(
        b->response_body,
        TopLevelField(method->output_type(), rule.response_body(), *b, "response_body"));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// The trie.

int Child(std::vector<Node>& nodes, int parent, int Node::*slot) {
  if (nodes[parent].*slot < 0) {
    nodes[parent].*slot = static_cast<int>(nodes.size());
    nodes.emplace_back();
  }
  return nodes[parent].*slot;
}

int LiteralChild(std::vector<Node>& nodes, int parent, const std::string& literal) {
  auto& lits = nodes[parent].literals;
  auto it =
      std::lower_bound(lits.begin(), lits.end(), literal,
                       [](const auto& entry, const std::string& l) { return entry.first < l; });
  if (it != lits.end() && it->first == literal) return it->second;
  const int child = static_cast<int>(nodes.size());
  lits.insert(it, {literal, child});  // before emplace_back: `lits` refers into `nodes`
  nodes.emplace_back();
  return child;
}

// Adds bindings[index] (parsed as `t`) to the trie; INVALID_ARGUMENT when a
// binding of the same method has the same shape.
absl::Status Insert(const ParsedTemplate& t, const std::vector<Binding>& bindings, int index,
                    std::vector<Node>* nodes, std::vector<std::string>* verbs) {
  int node = 0;
  for (const Segment& s : t.segments) {
    switch (s.kind) {
      case SegmentKind::kLiteral:
        node = LiteralChild(*nodes, node, s.literal);
        break;
      case SegmentKind::kSingle:
        node = Child(*nodes, node, &Node::single);
        break;
      case SegmentKind::kMulti:
        node = Child(*nodes, node, &Node::multi);
        break;
    }
  }
  std::vector<Leaf>& leaves = (*nodes)[node].leaves;
  auto leaf =
      std::find_if(leaves.begin(), leaves.end(), [&](const Leaf& l) { return l.verb == t.verb; });
  if (leaf == leaves.end()) leaf = leaves.insert(leaves.end(), Leaf{t.verb, {}});
  const Binding& added = bindings[index];
  for (const auto& [method, other] : leaf->methods) {
    if (method == added.http_method) {
      return absl::InvalidArgumentError(
          absl::StrCat("conflicting HTTP bindings: ", Describe(bindings[other]), " and ",
                       Describe(added), " have the same method and template shape"));
    }
  }
  leaf->methods.emplace_back(added.http_method, index);
  if (!t.verb.empty() && std::find(verbs->begin(), verbs->end(), t.verb) == verbs->end()) {
    verbs->push_back(t.verb);
  }
  return absl::OkStatus();
}

const Leaf* FindLeaf(const Node& node, std::string_view verb) {
  for (const Leaf& leaf : node.leaves) {
    if (leaf.verb == verb) return &leaf;
  }
  return nullptr;
}

int FindLiteral(const Node& node, std::string_view segment) {
  auto it = std::lower_bound(node.literals.begin(), node.literals.end(), segment,
                             [](const auto& entry, std::string_view s) { return entry.first < s; });
  return it != node.literals.end() && it->first == segment ? it->second : -1;
}

// Depth-first over the templates matching segments[pos..count) with `verb`,
// most specific first (literal, then "*", then "**"); stops when `visit`
// returns true. Recursion depth is bounded by the deepest template.
template <typename Visit>
bool Walk(const std::vector<Node>& nodes, int index, const std::string_view* segments, size_t count,
          size_t pos, std::string_view verb, Visit& visit) {
  const Node& node = nodes[index];
  if (pos == count) {
    if (const Leaf* leaf = FindLeaf(node, verb); leaf != nullptr && visit(*leaf)) return true;
  } else {
    const std::string_view segment = segments[pos];
    if (const int child = FindLiteral(node, segment);
        child >= 0 && Walk(nodes, child, segments, count, pos + 1, verb, visit)) {
      return true;
    }
    if (node.single >= 0 && !segment.empty() &&
        Walk(nodes, node.single, segments, count, pos + 1, verb, visit)) {
      return true;
    }
  }
  if (node.multi >= 0) {
    if (const Leaf* leaf = FindLeaf(nodes[node.multi], verb); leaf != nullptr && visit(*leaf)) {
      return true;
    }
  }
  return false;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Appends the decoded segment to `out`, "%2F" kept as written; false on a
// malformed escape.
bool DecodeSegment(std::string_view s, std::string* out) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out->push_back(s[i]);
      continue;
    }
    const int hi = i + 2 < s.size() ? HexDigit(s[i + 1]) : -1;
    const int lo = hi >= 0 ? HexDigit(s[i + 2]) : -1;
    if (lo < 0) return false;
    const char c = static_cast<char>(hi * 16 + lo);
    if (c == '/') {
      out->append(s.substr(i, 3));
    } else {
      out->push_back(c);
    }
    i += 2;
  }
  return true;
}

}  // namespace

RouteTable::RouteTable() = default;
RouteTable::RouteTable(RouteTable&&) noexcept = default;
RouteTable& RouteTable::operator=(RouteTable&&) noexcept = default;
RouteTable::~RouteTable() = default;

absl::StatusOr<RouteTable> RouteTable::Build(
    const std::vector<const google::protobuf::ServiceDescriptor*>& services) {
  RouteTable table;
  table.nodes_.emplace_back();  // the root
  auto add = [&table](const MethodDescriptor* method, const HttpRule& rule) -> absl::Status {
    Binding b;
    ParsedTemplate t;
    Route route;
    AGORA_RETURN_IF_ERROR(MakeBinding(method, rule, &b, &t, &route));
    table.bindings_.push_back(std::move(b));
    table.routes_.push_back(std::move(route));
    return Insert(t, table.bindings_, static_cast<int>(table.bindings_.size()) - 1, &table.nodes_,
                  &table.verbs_);
  };
  for (const google::protobuf::ServiceDescriptor* service : services) {
    if (service == nullptr) return absl::InvalidArgumentError("null service descriptor");
    for (int i = 0; i < service->method_count(); ++i) {
      const MethodDescriptor* method = service->method(i);
      if (!method->options().HasExtension(google::api::http)) continue;
      // Service-to-service methods are never reachable from outside,
      // whatever their http rule says: a rule on one is a mistake, and the
      // gateway refuses to start with it.
      if (method->options().GetExtension(agora::api::v1::policy).access() ==
          agora::api::v1::INTERNAL) {
        return absl::InvalidArgumentError(absl::StrCat(
            method->full_name(), ": an INTERNAL method has an http rule; internal methods are never routed"));
      }
      const HttpRule& rule = method->options().GetExtension(google::api::http);
      AGORA_RETURN_IF_ERROR(add(method, rule));
      for (const HttpRule& extra : rule.additional_bindings()) {
        if (extra.additional_bindings_size() > 0) {
          return absl::InvalidArgumentError(absl::StrCat(
              method->full_name(), ": an additional binding cannot have additional_bindings"));
        }
        AGORA_RETURN_IF_ERROR(add(method, extra));
      }
    }
  }
  return table;
}

RouteTable::Outcome RouteTable::Find(std::string_view http_method, std::string_view path,
                                     RouteMatch* match, std::vector<std::string>* allowed) const {
  if (allowed != nullptr) allowed->clear();
  if (match != nullptr) match->binding = nullptr;
  Outcome outcome = Outcome::kNotFound;
  absl::InlinedVector<std::string_view, 16> segments;
  if (!path.empty() && path.front() == '/') {
    for (size_t start = 1; path.size() > 1;) {
      const size_t slash = path.find('/', start);
      if (slash == std::string_view::npos) {
        segments.push_back(path.substr(start));
        break;
      }
      segments.push_back(path.substr(start, slash - start));
      start = slash + 1;
    }
    // A known verb first; the whole last segment only if no template of any
    // method takes the path with that verb.
    if (!segments.empty()) {
      std::string_view& last = segments.back();
      const size_t colon = last.rfind(':');
      const std::string_view verb =
          colon == std::string_view::npos ? std::string_view() : last.substr(colon + 1);
      if (colon != std::string_view::npos &&
          std::find(verbs_.begin(), verbs_.end(), verb) != verbs_.end()) {
        const std::string_view whole = last;
        last = last.substr(0, colon);
        outcome = Resolve(http_method, segments.data(), segments.size(), verb, match, allowed);
        last = whole;
      }
    }
    if (outcome == Outcome::kNotFound) {
      outcome = Resolve(http_method, segments.data(), segments.size(), "", match, allowed);
    }
  }
  if (outcome != Outcome::kMatched && match != nullptr) match->variables.clear();
  return outcome;
}

RouteTable::Outcome RouteTable::Resolve(std::string_view http_method,
                                        const std::string_view* segments, size_t count,
                                        std::string_view verb, RouteMatch* match,
                                        std::vector<std::string>* allowed) const {
  int found = -1;
  auto pick = [&](const Leaf& leaf) {
    for (const auto& [method, index] : leaf.methods) {
      if (method == http_method) found = index;
    }
    for (const auto& [method, index] : leaf.methods) {
      if (found < 0 && method == "*") found = index;
    }
    return found >= 0;
  };
  if (Walk(nodes_, 0, segments, count, 0, verb, pick)) {
    return FillVariables(found, segments, count, match) ? Outcome::kMatched : Outcome::kNotFound;
  }
  bool any = false;
  auto collect = [&](const Leaf& leaf) {
    any = true;
    if (allowed != nullptr) {
      for (const auto& entry : leaf.methods) allowed->push_back(entry.first);
    }
    return false;  // visit every matching template
  };
  Walk(nodes_, 0, segments, count, 0, verb, collect);
  if (!any) return Outcome::kNotFound;
  if (allowed != nullptr) {
    std::sort(allowed->begin(), allowed->end());
    allowed->erase(std::unique(allowed->begin(), allowed->end()), allowed->end());
  }
  return Outcome::kMethodNotAllowed;
}

bool RouteTable::FillVariables(int binding, const std::string_view* segments, size_t count,
                               RouteMatch* match) const {
  if (match == nullptr) return true;
  const Binding& b = bindings_[binding];
  const Route& route = routes_[binding];
  match->variables.resize(route.spans.size());
  for (size_t i = 0; i < route.spans.size(); ++i) {
    const Span& span = route.spans[i];
    auto& [name, value] = match->variables[i];
    name.assign(b.variables[i]);
    value.clear();
    const size_t end = span.to_end ? count : span.end;
    for (size_t s = span.begin; s < end; ++s) {
      if (s > span.begin) value.push_back('/');
      if (!DecodeSegment(segments[s], &value)) return false;
    }
  }
  match->binding = &b;
  return true;
}

bool IsHttpToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

}  // namespace agora::gateway
