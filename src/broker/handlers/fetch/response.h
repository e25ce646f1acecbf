#pragma once
// Fetch's response assembly: the partitions read, grouped under their topics.
#include <vector>

#include "broker/handlers/fetch.h"
#include "broker/handlers/fetch/partition_reads.h"

namespace spate::broker::fetch {

// Appends to `resp` the partitions `include` marks (one flag and one entry of `parts` per target),
// grouped by topic in the order topics first appear; moves them out of `parts`. From v13
// (`uses_topic_ids`) a topic carries its id and resolved name.
void add_partitions(const std::vector<target>& targets, const std::vector<bool>& include,
                    std::vector<partition_data>& parts, bool uses_topic_ids, fetch_handler::response& resp);

}  // namespace spate::broker::fetch
