#pragma once

// The Kafka topics of Agora (DESIGN.md, "Data flow of an order"), named from
// configuration: AGORA_KAFKA_TOPIC_PREFIX (default empty) goes in front of
// every name, so that several systems can share one cluster (each test
// system of a test run uses its own prefix on the one dev broker, and never
// sees another's messages).
//
//   <prefix>agora.orders.events              published by orders
//   <prefix>agora.saga.commands.<service>    inventory, customers, orders
//   <prefix>agora.saga.replies               every StepReply
//   <topic>.dlq                              messages that cannot be parsed
//                                            or keep failing
//
// Topics are created by the cluster's operator in production (Strimzi
// KafkaTopic resources). The dev broker (librdkafka's mock cluster) creates
// DESIGN.md's topics at start and auto-creates any other topic the first
// time a client asks for it (producers and Agora's consumers send
// allow.auto.create.topics), so a prefix needs no setup.

#include <string>

#include "absl/status/status.h"
#include "runtime/config/config.h"

namespace agora::runtime::messaging {

struct Topics {
  std::string prefix;

  std::string OrderEvents() const { return prefix + "agora.orders.events"; }
  // `service`: "inventory", "customers" or "orders".
  std::string Commands(const std::string& service) const {
    return prefix + "agora.saga.commands." + service;
  }
  std::string Replies() const { return prefix + "agora.saga.replies"; }
  // The default consumer group of `name` ("saga", "inventory", "reviews"):
  // the prefix too, so that systems sharing a cluster never share a group.
  // Two systems in one group would stall each other at every member's join
  // and wait out a crashed member's session together, although each reads
  // only its own topics.
  std::string Group(const std::string& name) const { return prefix + name; }
};

inline std::string DeadLetterTopic(const std::string& topic) { return topic + ".dlq"; }

// OK when `prefix` makes legal topic names: [A-Za-z0-9._-], at most 200
// characters (Kafka allows 249 in all).
absl::Status ValidateTopicPrefix(const std::string& prefix);

// Reads AGORA_KAFKA_TOPIC_PREFIX.
void ReadTopics(config::Reader& reader, Topics* out);

}  // namespace agora::runtime::messaging
