#pragma once
// Fetch's use of the incremental fetch sessions (KIP-227, fetch_sessions.h): which partitions a
// fetch reads, and afterwards which of them its response carries. Called on the fetch's event
// loop; the session cache is thread-safe.
#include <cstdint>
#include <vector>

#include "broker/broker.h"
#include "broker/fetch_sessions.h"
#include "broker/handlers/fetch.h"
#include "broker/handlers/fetch/partition_reads.h"

namespace spate::broker::fetch {

// The partitions to read: the request's own (v0-v6, sessionless), or from v7 the session's as the
// request updates it. A context with an error is answered with that error alone.
fetch_session_cache::context open_session(broker& services, const fetch_handler::request& req, std::int16_t version);

struct session_answer {
  std::int32_t session_id = 0;  // for the response
  std::vector<bool> include;    // per target: whether the response carries it
};

// After the reads (`parts`, one per target): an incremental session answers only the partitions
// that changed and records what it sends; a full fetch opens a session over what it sends (id 0
// when the cache has no room); a sessionless fetch answers everything.
session_answer close_session(broker& services, const fetch_session_cache::context& session,
                             const std::vector<target>& targets, const std::vector<partition_data>& parts,
                             bool uses_topic_ids);

}  // namespace spate::broker::fetch
