#pragma once
// Fetch's long poll: with fewer than min_bytes readable, the fetch parks on its partitions
// (partition_waiters.h) and a timer on its event loop until an append makes enough readable or
// max_wait_ms passes. Never a sleep.
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/handlers/fetch.h"
#include "broker/handlers/fetch/partition_reads.h"
#include "broker/request_context.h"

namespace spate::broker::fetch {

// Whether a fetch whose first read came to `totals` waits: it asks to (max_wait_ms > 0), reads
// some partition, none failed, and fewer than min_bytes were read.
bool should_wait(const fetch_handler::request& req, const std::vector<target>& targets, const read_totals& totals);

// Parks until enough bytes are readable or max_wait_ms passes, reading `parts` again (read_all)
// after registering and after every wake-up; on return `parts` holds the last read. Runs on
// ctx.executor; `targets` and `parts` must live until it returns.
boost::asio::awaitable<void> wait_for_min_bytes(request_context& ctx, const std::vector<target>& targets,
                                                const fetch_handler::request& req, std::vector<partition_data>& parts);

}  // namespace spate::broker::fetch
