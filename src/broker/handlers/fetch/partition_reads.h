#pragma once
// Fetch's partition reads: the wanted partitions resolved to their logs, and read into the
// response's partition entries. Plain functions, called on the fetch's event loop; the logs do
// their own locking.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "broker/broker.h"
#include "broker/fetch_sessions.h"
#include "broker/handlers/fetch.h"

namespace spate::broker::fetch {

using partition_data = protocol::fetch_response::partition_data;

// A partition to read, resolved to its log (or to the error answering it).
struct target {
  const fetch_session_partition* wanted;  // points into the partitions given to resolve()
  std::string topic;                      // resolved name
  std::shared_ptr<storage::partition_log> log;
  protocol::error_code error = protocol::error_code::none;
};

// Resolves `partitions` (by topic id from v13) to their logs, in the same order: unknown topic id,
// unknown topic or partition, or a leader epoch we do not have become the target's error.
// `partitions` must outlive the targets.
std::vector<target> resolve(const broker& services, const std::vector<fetch_session_partition>& partitions,
                            bool uses_topic_ids);

struct read_totals {
  std::size_t bytes = 0;
  bool any_error = false;
};

// Reads every target into `out` (replaced: one entry per target, same order) within the request's
// limits (fetch.h); a target's error becomes its entry's error code.
read_totals read_all(const std::vector<target>& targets, const fetch_handler::request& req, std::int16_t version,
                     std::vector<partition_data>& out);

// Adds the bytes and records of the final `parts` (one per target) to their logs' traffic counters.
void count_traffic(const std::vector<target>& targets, const std::vector<partition_data>& parts);

}  // namespace spate::broker::fetch
