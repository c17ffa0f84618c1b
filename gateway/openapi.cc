#include "gateway/openapi.h"

#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_replace.h"
#include "agora/api/v1/policy.pb.h"
#include "agora/customers/v1/customers.pb.h"
#include "agora/inventory/v1/inventory.pb.h"
#include "agora/orders/v1/orders.pb.h"
#include "agora/reviews/v1/reviews.pb.h"
#include "agora/saga/v1/admin.pb.h"

namespace agora::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using json = nlohmann::json;

std::string SchemaName(const Descriptor* d) { return d->full_name(); }

json ScalarSchema(const FieldDescriptor* f) {
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: return {{"type", "integer"}, {"format", "int32"}};
    case FieldDescriptor::CPPTYPE_UINT32: return {{"type", "integer"}, {"format", "uint32"}};
    // 64-bit integers are JSON strings in the proto3 mapping.
    case FieldDescriptor::CPPTYPE_INT64: return {{"type", "string"}, {"format", "int64"}};
    case FieldDescriptor::CPPTYPE_UINT64: return {{"type", "string"}, {"format", "uint64"}};
    case FieldDescriptor::CPPTYPE_DOUBLE: return {{"type", "number"}, {"format", "double"}};
    case FieldDescriptor::CPPTYPE_FLOAT: return {{"type", "number"}, {"format", "float"}};
    case FieldDescriptor::CPPTYPE_BOOL: return {{"type", "boolean"}};
    case FieldDescriptor::CPPTYPE_ENUM: {
      json values = json::array();
      for (int i = 0; i < f->enum_type()->value_count(); ++i) values.push_back(f->enum_type()->value(i)->name());
      return {{"type", "string"}, {"enum", values}};
    }
    case FieldDescriptor::CPPTYPE_STRING:
      return f->type() == FieldDescriptor::TYPE_BYTES ? json{{"type", "string"}, {"format", "byte"}}
                                                      : json{{"type", "string"}};
    default: return {{"type", "object"}};
  }
}

json FieldSchema(const FieldDescriptor* f, std::vector<const Descriptor*>* pending) {
  json s;
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    const std::string name = f->message_type()->full_name();
    if (name == "google.protobuf.Timestamp") {
      s = {{"type", "string"}, {"format", "date-time"}};
    } else if (name == "google.protobuf.Empty") {
      s = {{"type", "object"}};
    } else {
      pending->push_back(f->message_type());
      s = {{"$ref", "#/components/schemas/" + name}};
    }
  } else {
    s = ScalarSchema(f);
  }
  if (f->is_repeated()) return {{"type", "array"}, {"items", s}};
  return s;
}

// A message as an object schema, without the fields named in `leave_out`
// (proto names); the messages its fields hold go to `pending`.
json ObjectSchema(const Descriptor* d, const std::set<std::string>& leave_out,
                  std::vector<const Descriptor*>* pending) {
  json props = json::object();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (!leave_out.count(f->name())) props[f->json_name()] = FieldSchema(f, pending);
  }
  return {{"type", "object"}, {"properties", props}};
}

void AddSchemas(std::vector<const Descriptor*> pending, json* schemas) {
  std::set<std::string> done;
  while (!pending.empty()) {
    const Descriptor* d = pending.back();
    pending.pop_back();
    if (!done.insert(d->full_name()).second) continue;
    (*schemas)[SchemaName(d)] = ObjectSchema(d, {}, &pending);
  }
}

std::string OpenApiPath(const std::string& tmpl) {
  // "{product.id=**}" -> "{product.id}"
  std::string out;
  bool in_var = false, skip = false;
  for (char c : tmpl) {
    if (c == '{') in_var = true, skip = false;
    if (in_var && c == '=') skip = true;
    if (c == '}') in_var = false, skip = false;
    if (!skip) out.push_back(c);
  }
  return out;
}

}  // namespace

std::vector<const google::protobuf::ServiceDescriptor*> PublicServices() {
  return {
      agora::customers::v1::Customer::descriptor()->file()->FindServiceByName("Customers"),
      agora::inventory::v1::Product::descriptor()->file()->FindServiceByName("Inventory"),
      agora::orders::v1::Order::descriptor()->file()->FindServiceByName("Orders"),
      agora::reviews::v1::Review::descriptor()->file()->FindServiceByName("Reviews"),
      agora::saga::v1::ListSagasRequest::descriptor()->file()->FindServiceByName("Sagas"),
  };
}

std::string OpenApiDocument(const RouteTable& routes) {
  json paths = json::object();
  std::vector<const Descriptor*> pending;
  const json error_ref = {{"$ref", "#/components/schemas/Error"}};
  for (const Binding& b : routes.bindings()) {
    const auto& policy = b.method->options().GetExtension(agora::api::v1::policy);
    json op;
    op["operationId"] = b.method->service()->name() + "_" + b.method->name();
    op["tags"] = {b.method->service()->name()};
    json params = json::array();
    std::set<std::string> bound(b.variables.begin(), b.variables.end());
    const Descriptor* in = b.method->input_type();
    // Path variables by their JSON names, as the contract writes them
    // ("{productId}", not the proto field's "{product_id}").
    std::string path = OpenApiPath(b.path_template);
    for (const std::string& v : b.variables) {
      const FieldDescriptor* f = in->FindFieldByName(v);
      const std::string name = f != nullptr ? f->json_name() : v;
      absl::StrReplaceAll({{"{" + v + "}", "{" + name + "}"}}, &path);
      params.push_back({{"name", name}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
    }
    if (b.body.empty()) {
      for (int i = 0; i < in->field_count(); ++i) {
        const FieldDescriptor* f = in->field(i);
        if (bound.count(f->name()) || f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) continue;
        params.push_back({{"name", f->json_name()}, {"in", "query"}, {"schema", FieldSchema(f, &pending)}});
      }
    } else if (bound.empty()) {
      pending.push_back(in);
      op["requestBody"] = {{"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/" + in->full_name()}}}}}}}};
    } else {
      // The body is the request without what the path binds (as
      // grpc-gateway's openapiv2 writes it): a generated client then asks
      // for the product id once, in the path.
      op["requestBody"] = {{"content", {{"application/json", {{"schema", ObjectSchema(in, bound, &pending)}}}}}};
    }
    // A method whose request carries an idempotency key takes it from the
    // header too (API.md "Conventions").
    if (in->FindFieldByName("idempotency_key") != nullptr) {
      params.push_back({{"name", "Idempotency-Key"},
                        {"in", "header"},
                        {"description", "makes the request safe to retry: a repeat gets the first answer"},
                        {"schema", {{"type", "string"}}}});
    }
    if (!params.empty()) op["parameters"] = params;
    const int status = policy.success_status() != 0 ? policy.success_status() : 200;
    pending.push_back(b.method->output_type());
    json ok = {{"description", "success"}};
    const std::string media = b.method->server_streaming() ? "text/event-stream" : "application/json";
    ok["content"] = {{media, {{"schema", {{"$ref", "#/components/schemas/" + b.method->output_type()->full_name()}}}}}};
    if (!policy.location().empty()) ok["headers"] = {{"Location", {{"schema", {{"type", "string"}}}}}};
    op["responses"] = {{std::to_string(status), ok},
                       {"default", {{"description", "error"}, {"content", {{"application/json", {{"schema", error_ref}}}}}}}};
    if (policy.access() == agora::api::v1::CUSTOMER || policy.access() == agora::api::v1::ADMIN) {
      op["security"] = json::array({{{"bearerAuth", json::array()}}});
      op["responses"]["401"] = {{"description", "no valid access token"},
                                {"headers", {{"WWW-Authenticate", {{"schema", {{"type", "string"}}}}}}},
                                {"content", {{"application/json", {{"schema", error_ref}}}}}};
    }
    if (policy.access() == agora::api::v1::ADMIN) {
      op["responses"]["403"] = {{"description", "the caller is not an administrator"},
                                {"content", {{"application/json", {{"schema", error_ref}}}}}};
    }
    if (policy.access() == agora::api::v1::ADMIN) op["description"] = "Administrators only.";
    paths[path][absl::AsciiStrToLower(b.http_method)] = op;
  }
  // The gateway's own composite route (fanout.cc): not a method's binding.
  {
    const Descriptor* product = agora::inventory::v1::Product::descriptor();
    const Descriptor* rating = agora::reviews::v1::Rating::descriptor();
    const Descriptor* review = agora::reviews::v1::Review::descriptor();
    pending.insert(pending.end(), {product, rating, review});
    auto ref = [](const Descriptor* d) { return json{{"$ref", "#/components/schemas/" + d->full_name()}}; };
    const json details = {
        {"type", "object"},
        {"properties",
         {{"product", ref(product)},
          {"rating", ref(rating)},
          {"topReviews", {{"type", "array"}, {"items", ref(review)}}},
          {"favorite", {{"type", "boolean"}, {"description", "Only with a valid token."}}},
          {"degraded",
           {{"type", "array"},
            {"items", {{"type", "string"}}},
            {"description", "The backends other than inventory that failed (\"reviews\", \"customers\")."}}}}}};
    json op;
    op["operationId"] = "Gateway_GetProductDetails";
    op["tags"] = {"Gateway"};
    op["description"] =
        "The product, its rating, its 3 newest reviews and (with a token) whether it is a favourite, "
        "fetched in parallel. Public.";
    op["parameters"] = json::array({{{"name", "id"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}}});
    // Public, and a token when sent adds `favorite`: optional security, so
    // that generated clients send it.
    op["security"] = json::array({json::object(), {{"bearerAuth", json::array()}}});
    op["responses"] = {
        {"200", {{"description", "success"}, {"content", {{"application/json", {{"schema", details}}}}}}},
        {"default", {{"description", "error"}, {"content", {{"application/json", {{"schema", error_ref}}}}}}}};
    paths["/v1/products/{id}/details"]["get"] = op;
  }
  // The operations routes (API.md "Operations"): the gateway's own, no auth.
  {
    auto operation = [&](const char* id, const char* description, json ok, bool unready) {
      json op;
      op["operationId"] = std::string("Gateway_") + id;
      op["tags"] = {"Operations"};
      op["description"] = description;
      op["responses"] = {{"200", std::move(ok)}};
      if (unready) {
        op["responses"]["503"] = {{"description", "a backend does not answer its health check"},
                                  {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}};
      }
      return op;
    };
    const json status = {{"description", "success"},
                         {"content",
                          {{"application/json",
                            {{"schema", {{"type", "object"}, {"properties", {{"status", {{"type", "string"}}}}}}}}}}}};
    paths["/healthz"]["get"] = operation("Healthz", "200 while the gateway runs.", status, false);
    paths["/readyz"]["get"] =
        operation("Readyz", "200 when every backend answers its gRPC health check, else 503 naming the failing ones.",
                  status, true);
    paths["/metrics"]["get"] = operation(
        "Metrics", "Prometheus text format.",
        {{"description", "success"}, {"content", {{"text/plain", {{"schema", {{"type", "string"}}}}}}}}, false);
    paths["/openapi.json"]["get"] = operation(
        "OpenApi", "This document, generated from the descriptors that drive routing.",
        {{"description", "success"}, {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}}, false);
  }
  json schemas = json::object();
  AddSchemas(pending, &schemas);
  schemas["Error"] = {{"type", "object"},
                      {"properties",
                       {{"code", {{"type", "integer"}}},
                        {"message", {{"type", "string"}}},
                        {"details", {{"type", "array"}, {"items", {{"type", "object"}}}}}}}};
  json doc = {{"openapi", "3.0.3"},
              {"info", {{"title", "Agora API"}, {"version", "v1"}}},
              {"paths", paths},
              {"components",
               {{"schemas", schemas},
                {"securitySchemes", {{"bearerAuth", {{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}}}}}}}};
  return doc.dump();
}

}  // namespace agora::gateway
