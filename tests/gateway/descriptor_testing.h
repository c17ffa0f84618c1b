#pragma once

// Hand-built descriptor pools for the gateway's routing tests: fields added
// to a DescriptorProto, and generated files (with what they import) copied
// into a test pool.

#include <catch2/catch.hpp>
#include <string>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"

namespace agora::gateway::testing {

inline void AddField(google::protobuf::DescriptorProto* message, const std::string& name, int number,
                     google::protobuf::FieldDescriptorProto::Type type, const std::string& type_name = "",
                     bool repeated = false) {
  using google::protobuf::FieldDescriptorProto;
  FieldDescriptorProto* field = message->add_field();
  field->set_name(name);
  field->set_number(number);
  field->set_type(type);
  field->set_label(repeated ? FieldDescriptorProto::LABEL_REPEATED : FieldDescriptorProto::LABEL_OPTIONAL);
  if (!type_name.empty()) field->set_type_name(type_name);
}

// Copies a generated file and, first, everything it imports into `pool`.
inline void AddWithDependencies(google::protobuf::DescriptorPool& pool, const google::protobuf::FileDescriptor* file) {
  REQUIRE(file != nullptr);
  if (pool.FindFileByName(file->name()) != nullptr) return;
  for (int i = 0; i < file->dependency_count(); ++i) AddWithDependencies(pool, file->dependency(i));
  google::protobuf::FileDescriptorProto proto;
  file->CopyTo(&proto);
  REQUIRE(pool.BuildFile(proto) != nullptr);
}

}  // namespace agora::gateway::testing
