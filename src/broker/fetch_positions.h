#pragma once
// Where each consumer last fetched each partition, for the lag monitor: keyed by the client id
// and the client host (what DescribeGroups reports for a member, so a group member's owned
// partitions can be matched to its fetches), per partition the fetch offset, when, and whether
// the fetch was read_committed. Updated by the Fetch handler for consumer fetches (replica id < 0).
//
// Thread-safety: every method is thread-safe. The clients are spread over shards, each with its
// own mutex held only to copy or update a few fields (no I/O), so concurrent fetches of different
// clients rarely meet. Bounded: a client or partition not fetched for `forget_after_ms` is
// forgotten (each shard prunes itself at most once a minute, during an update or a snapshot).
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/mutex.h"
#include "io/clock.h"

namespace spate::broker {

struct fetch_position {
  std::string client_id;
  std::string host;
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = -1;
  std::int64_t time_ms = -1;
  bool read_committed = false;
};

class fetch_positions {
 public:
  static constexpr std::int64_t default_forget_after_ms = 10LL * 60 * 1000;

  explicit fetch_positions(io::clock& clock = io::default_clock(),
                           std::int64_t forget_after_ms = default_forget_after_ms);
  fetch_positions(const fetch_positions&) = delete;
  fetch_positions& operator=(const fetch_positions&) = delete;

  struct fetched {
    std::string_view topic;
    std::int32_t partition = 0;
    std::int64_t offset = -1;
  };
  // One consumer fetch of `partitions` at the current time.
  void record(std::string_view client_id, std::string_view host, bool read_committed,
              std::span<const fetched> partitions);

  // Every remembered position (stale ones forgotten first), in no particular order.
  std::vector<fetch_position> snapshot();
  std::size_t client_count() const;

 private:
  struct position {
    std::int64_t offset = -1;
    std::int64_t time_ms = -1;  // -1: never fetched (a hole in the partition vector)
    bool read_committed = false;
  };
  struct client {
    std::string client_id;
    std::string host;
    std::int64_t last_ms = 0;
    std::map<std::string, std::vector<position>, std::less<>> topics;  // by partition index
  };
  struct shard {
    mutable base::mutex mutex;
    std::unordered_map<std::string, client> clients GUARDED_BY(mutex);  // by client id '\0' host
    std::int64_t next_prune_ms GUARDED_BY(mutex) = 0;
  };
  static constexpr std::size_t shard_count = 16;
  static constexpr std::int64_t prune_interval_ms = 60LL * 1000;

  void prune(shard& s, std::int64_t now) REQUIRES(s.mutex);

  io::clock& _clock;
  const std::int64_t _forget_after_ms;
  std::array<shard, shard_count> _shards;
};

}  // namespace spate::broker
