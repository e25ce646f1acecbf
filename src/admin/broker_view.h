#pragma once
// What the admin API may read of the broker: a narrow, read-only interface implemented by app/
// (app/admin_view.cc) over the log manager, the group coordinator and the network server, and by
// fakes in tests. The admin API never reaches into handlers' internals.
//
// Thread-safety: implementations are called from the admin server's thread while the broker
// runs; every method must be safe to call concurrently with the broker's own work.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace spate::admin {

struct broker_identity {
  std::int32_t node_id = 0;
  std::string version;
  std::string cluster_id;
  std::string kafka_listener;  // "host:port" actually bound
  std::string data_dir;
};

struct partition_state {
  std::int32_t partition = 0;
  std::int64_t log_start_offset = 0;
  std::int64_t log_end_offset = 0;
  std::int64_t high_watermark = 0;
  std::int64_t last_stable_offset = 0;
  std::uint64_t size_bytes = 0;
  std::size_t segment_count = 0;
};

struct topic_summary {
  std::string name;
  std::string topic_id;
  std::int32_t partitions = 0;
  bool internal = false;
};

struct topic_detail {
  topic_summary summary;
  std::map<std::string, std::string> configs;  // the topic's own overrides
  std::vector<partition_state> partitions;
};

struct group_summary {
  std::string group_id;
  std::string state;  // Kafka's spelling: Empty, Stable, ...
  std::string protocol_type;
};

struct group_member {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
};

struct group_offset {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t committed_offset = -1;
  std::optional<std::string> metadata;
  // The partition's high watermark (what a consumer can read up to); nullopt when the partition
  // no longer exists.
  std::optional<std::int64_t> high_watermark;
};

struct group_detail {
  std::string group_id;
  std::string state;
  std::string protocol_type;
  std::string protocol;  // the chosen assignor, empty when none
  std::vector<group_member> members;
  std::vector<group_offset> offsets;
};

struct storage_usage {
  std::uint64_t log_bytes = 0;  // sum of every partition's size on disk
  std::optional<std::uint64_t> fs_free_bytes;
  std::optional<std::uint64_t> fs_total_bytes;
};

struct recovery_state {
  bool new_data_dir = false;  // first start on this data directory: nothing to recover
  bool clean_start = true;    // the previous broker stopped cleanly
  std::size_t segments_loaded = 0;
  std::size_t segments_recovered = 0;
  std::uint64_t bytes_truncated = 0;
};

class broker_view {
 public:
  virtual ~broker_view() = default;

  virtual broker_identity identity() const = 0;
  virtual std::int64_t uptime_ms() const = 0;
  // Recovery finished and the Kafka listener accepts connections.
  virtual bool ready() const = 0;
  virtual std::vector<topic_summary> topics() const = 0;
  // nullopt: no such topic.
  virtual std::optional<topic_detail> topic(const std::string& name) const = 0;
  virtual std::vector<group_summary> groups() const = 0;
  // nullopt: no such group (no members and no committed offsets).
  virtual std::optional<group_detail> group(const std::string& group_id) const = 0;
  // The first offset whose timestamp is >= `timestamp_ms`; the log end offset when none is;
  // nullopt when the partition does not exist or cannot be read.
  virtual std::optional<std::int64_t> offset_for_timestamp(const std::string& topic, std::int32_t partition,
                                                           std::int64_t timestamp_ms) const = 0;
  // Walks every partition and calls statvfs: call it off the broker's event loops.
  virtual storage_usage usage() const = 0;
  virtual recovery_state recovery() const = 0;
  virtual std::size_t connection_count() const = 0;
};

}  // namespace spate::admin
