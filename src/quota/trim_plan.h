#pragma once
// The disk quota's trim policy as a pure function (docs/disk-quota.md): which closed segments to
// delete, oldest first across all partitions, until enough bytes are freed, and which consumer
// groups lose records they had not read. The caller (app/disk_quota_service) gathers the inputs
// from storage and the group coordinator and carries the plan out.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/topic_partition.h"

namespace spate::quota {

// A closed segment (never the active one: the caller leaves it out).
struct trim_segment {
  std::int64_t base_offset = 0;
  std::int64_t next_offset = 0;  // one past its last offset
  std::int64_t max_timestamp = -1;
  std::uint64_t bytes = 0;
};

// A partition of a topic the policy may trim (not internal, cleanup.policy includes delete,
// quota.trim.enable=true), with its closed segments, oldest first.
struct trim_partition {
  model::topic_partition partition;
  std::int64_t log_start_offset = 0;
  std::vector<trim_segment> closed_segments;
};

struct group_offset {
  std::string group;
  std::int64_t committed = 0;
};
// Every group's committed offset, by partition.
using committed_offsets = std::map<model::topic_partition, std::vector<group_offset>>;

struct group_loss {
  std::string group;
  std::int64_t unread = 0;  // offsets in the removed range at or after the group's committed offset
  friend bool operator==(const group_loss&, const group_loss&) = default;
};

// One partition's part of a trim: its log start moves from `from_offset` to `to_offset`.
struct planned_trim {
  model::topic_partition partition;
  std::int64_t from_offset = 0;
  std::int64_t to_offset = 0;
  std::uint64_t bytes = 0;
  std::size_t segments = 0;
  std::int64_t max_timestamp = -1;  // the newest record removed
  std::vector<group_loss> losers;   // groups with committed offset < to_offset, by group id
};

struct trim_rules {
  std::uint64_t bytes_to_free = 0;
  std::int64_t now_ms = 0;
  // A segment whose newest record is younger than this is never deleted.
  std::int64_t min_age_ms = 0;
};

// Takes segments in order of their max timestamp across partitions (a partition's segments only
// from its start, as a log start offset moves contiguously), skipping none: the first segment of
// a partition that is too young ends that partition's candidates. Stops once bytes_to_free is
// reached. One planned_trim per partition touched, in the order their first segment was taken.
std::vector<planned_trim> plan_trim(const std::vector<trim_partition>& partitions, const trim_rules& rules,
                                    const committed_offsets& committed);

}  // namespace spate::quota
