#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "broker/request_context.h"
#include "protocol/messages/fetch.h"

namespace spate::broker {

// Fetch: per partition, whole stored batches from fetch_offset up to the high watermark, as the
// producer's bytes (never re-encoded), bounded by partition_max_bytes and, across partitions, by
// max_bytes (v3+; the first batch returned is returned whole even when larger, so consumers make
// progress — Kafka's rule). v0-v2 treat the limits as hard (a too-large first batch comes back
// truncated, as Kafka does, and the client reports it). No down-conversion: batches are magic 2.
//
// Long poll: with fewer than min_bytes readable and max_wait_ms > 0 the fetch parks on its
// partitions (partition_waiters.h) and a timer on its event loop, and answers when an append makes
// enough data readable or max_wait_ms passes. Any partition error answers at once.
//
// Incremental fetch sessions (v7+): fetch_sessions.h. Topics by id from v13 (UNKNOWN_TOPIC_ID).
// read_committed reads below the last stable offset and gets the aborted transactions among the
// batches returned (v4+); aborted_transactions is null for read_uncommitted, as Kafka sends it.
//
// The steps live in handlers/fetch/: session.h, partition_reads.h, long_poll.h, response.h.
struct fetch_handler {
  using request = protocol::fetch_request;
  using response = protocol::fetch_response;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 17;
  static boost::asio::awaitable<response> handle(request_context& ctx, request req);
};

}  // namespace spate::broker
