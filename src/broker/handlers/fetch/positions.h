#pragma once
// Fetch's note of where a consumer fetches (broker/fetch_positions.h), for the lag monitor.
#include <vector>

#include "broker/handlers/fetch.h"
#include "broker/handlers/fetch/partition_reads.h"
#include "broker/request_context.h"

namespace spate::broker::fetch {

// Records the fetch offsets of the resolved `targets` of a consumer's fetch (replica id < 0;
// followers and tools fetching as replicas are not consumers) under its client id and host.
void note_positions(request_context& ctx, const fetch_handler::request& req, const std::vector<target>& targets);

}  // namespace spate::broker::fetch
