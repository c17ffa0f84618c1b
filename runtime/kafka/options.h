#pragma once

// Settings shared by Agora's producers and consumers. Defaults serve a local
// run against the dev broker (librdkafka's mock cluster): short fetch waits
// and consumer timeouts (see DESIGN.md, "Local run"). Production raises them
// through AGORA_KAFKA_* variables.

#include <map>
#include <string>

namespace agora::runtime::kafka {

struct KafkaOptions {
  std::string brokers = "127.0.0.1:9092";
  std::string client_id = "agora";
  int linger_ms = 1;
  int fetch_wait_max_ms = 5;
  int session_timeout_ms = 6000;
  int heartbeat_interval_ms = 1000;
  // Longer than session_timeout_ms: the dev broker (librdkafka 2.0's mock)
  // holds a SyncGroup for up to the session timeout while a member is
  // missing (one SIGKILLed and restarted); a client that times the request
  // out reconnects and sends it again before the mock has dropped the first,
  // and the mock aborts (rd_kafka_mock_cgrp_member_sync_set: Assertion
  // `!member->resp'). Seen in ./agora chaos: a GroupCoordinator request
  // "timed out: disconnect (after 5273ms)", the abort 110 ms later.
  int socket_timeout_ms = 10000;
  int message_timeout_ms = 30000;
  // Consumers: a poll round takes up to batch_size x threads messages and
  // hands each partition's share to the handler at once (so one busy
  // partition may get them all in one batch); threads: the partitions
  // handled at once; max.poll.interval.ms: the longest a round may take
  // before the group counts the member gone.
  int consumer_batch_size = 64;
  int consumer_threads = 4;
  // Consumers: the fresh batches of every partition of a round in one
  // handler call, so one transaction, instead of one call per partition on
  // `threads` threads (which then run only retries and the partitions a
  // merged call did not finish). Per-partition order holds either way.
  // Fewer, fatter transactions: measured with ./agora bench saga, 419 ->
  // 524 sagas/s closed loop, p99 at 200/s 328 -> 222 ms (see bench/README.md).
  bool merge_partitions = true;
  int max_poll_interval_ms = 300000;
  // Any further librdkafka property, passed as is.
  std::map<std::string, std::string> extra;
};

// Message header carrying the id of the message (envelope message_id).
inline constexpr char kMessageIdHeader[] = "agora-message-id";

}  // namespace agora::runtime::kafka
