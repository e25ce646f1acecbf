#pragma once
// The broker's services as handlers see them: its identity, settings and topics.
// Thread-safe: immutable after construction except for the members that document their own locking.
#include <cstdint>
#include <string>

#include "broker/topic_table.h"

namespace spate::broker {

struct broker_options {
  std::int32_t node_id = 1;
  std::string advertised_host = "127.0.0.1";
  std::int32_t advertised_port = 9092;
  std::string cluster_id;
  std::int32_t num_partitions = 1;
  bool auto_create_topics = true;
};

class broker {
 public:
  explicit broker(broker_options options) : options_(std::move(options)) {}
  broker(const broker&) = delete;
  broker& operator=(const broker&) = delete;

  const broker_options& options() const { return options_; }
  topic_table& topics() { return topics_; }
  const topic_table& topics() const { return topics_; }

 private:
  const broker_options options_;
  topic_table topics_;
};

}  // namespace spate::broker
