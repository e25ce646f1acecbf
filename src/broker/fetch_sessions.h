#pragma once
// Incremental fetch sessions (KIP-227, Fetch v7+): Kafka's FetchSession/FetchManager, simplified.
//
// A client opens a session with a full fetch (session_id 0, epoch 0); the broker remembers the
// partitions and what it last told the client about each (high watermark, log start offset) and
// answers with a session id. Later fetches (that id, epoch 1, 2, ...) carry only the partitions whose
// fetch position changed plus those to forget; the broker reads every partition of the session but
// answers only those with records, an error, or a changed high watermark / log start offset.
// epoch -1 closes the session (the fetch is then sessionless); epoch 0 with an id replaces it.
// Errors (top-level): FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH, and
// FETCH_SESSION_TOPIC_ID_ERROR when a session switches between topic names and topic ids.
//
// The cache is bounded (Kafka's max.incremental.fetch.session.cache.slots, 1000): when full, the
// least recently used session is evicted if it has been idle for eviction_idle (Kafka's
// min.incremental.fetch.session.eviction.ms, 120 s); otherwise no session is created and the client
// goes on with full fetches (session id 0), which every client handles.
//
// Thread-safe: one mutex, `_mutex`, guards every session; it is never held across a read or an
// await. Two requests of one session at once are a client bug; each sees a consistent session.
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "protocol/error_code.h"
#include "protocol/types.h"

namespace spate::broker {

// A partition as a fetch names it: by topic name (v7-v12, topic_id nil) or topic id (v13+, topic
// empty).
struct fetch_partition_key {
  std::string topic;
  protocol::uuid topic_id;
  std::int32_t partition = 0;
  bool operator==(const fetch_partition_key&) const = default;
};

// One partition of a fetch, and in a session what the client was last told about it.
struct fetch_session_partition {
  fetch_partition_key key;
  std::int64_t fetch_offset = 0;
  std::int32_t max_bytes = 0;
  std::int32_t current_leader_epoch = -1;
  std::int64_t high_watermark = -1;    // last sent; -1: never, or an error was sent
  std::int64_t log_start_offset = -1;  // last sent
};

// What was read from a partition, for deciding whether an incremental response includes it.
struct fetch_partition_outcome {
  bool has_records = false;
  std::int16_t error_code = 0;
  std::int64_t high_watermark = -1;
  std::int64_t log_start_offset = -1;
};

class fetch_session_cache {
 public:
  struct options {
    std::size_t max_sessions = 1000;
    std::chrono::milliseconds eviction_idle{120000};
  };
  explicit fetch_session_cache(options opts) : _opts(opts) {}
  fetch_session_cache() : fetch_session_cache(options{}) {}
  fetch_session_cache(const fetch_session_cache&) = delete;
  fetch_session_cache& operator=(const fetch_session_cache&) = delete;

  enum class kind { sessionless, full, incremental };
  struct context {
    kind type = kind::sessionless;
    protocol::error_code error = protocol::error_code::none;  // when set, answer with it alone
    std::int32_t session_id = 0;                             // incremental only
    std::vector<fetch_session_partition> partitions;         // to read, in response order
  };

  // Kafka's FetchManager.newContext: interprets session_id/epoch, closes or updates the session,
  // and returns the partitions to read. `requested` are the request's partitions, `forgotten` its
  // forgotten_topics_data.
  context begin(std::int32_t session_id, std::int32_t epoch, bool uses_topic_ids,
                std::vector<fetch_session_partition> requested, const std::vector<fetch_partition_key>& forgotten);

  // After a full fetch: opens a session over `partitions` (their high_watermark/log_start_offset
  // set to what the response carries). Returns its id, or 0 when the cache has no room.
  std::int32_t create(bool uses_topic_ids, std::vector<fetch_session_partition> partitions);

  // After an incremental fetch: which of the context's partitions (same order) the response
  // includes; records what is sent. All of them if the session is gone meanwhile.
  std::vector<bool> select(std::int32_t session_id, const std::vector<fetch_partition_key>& keys,
                           const std::vector<fetch_partition_outcome>& outcomes);

  std::size_t size() const;

 private:
  using clock = std::chrono::steady_clock;
  struct session {
    std::int32_t epoch = 1;  // the epoch the next request must carry
    bool uses_topic_ids = false;
    std::vector<fetch_session_partition> partitions;
    clock::time_point last_used;
  };

  const options _opts;
  mutable std::mutex _mutex;
  std::map<std::int32_t, session> _sessions;  // guarded by _mutex
  std::mt19937 _random{std::random_device{}()};  // guarded by _mutex
};

}  // namespace spate::broker
