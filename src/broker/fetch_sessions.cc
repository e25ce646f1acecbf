#include "broker/fetch_sessions.h"

#include <algorithm>
#include <limits>

namespace spate::broker {
namespace {

constexpr std::int32_t final_epoch = -1;
constexpr std::int32_t initial_epoch = 0;

// Kafka's FetchMetadata.nextEpoch.
std::int32_t next_epoch(std::int32_t epoch) {
  if (epoch < 0) return final_epoch;
  if (epoch == std::numeric_limits<std::int32_t>::max()) return 1;
  return epoch + 1;
}

template <typename Partitions>
auto find(Partitions& partitions, const fetch_partition_key& key) {
  return std::find_if(partitions.begin(), partitions.end(), [&](const auto& p) { return p.key == key; });
}

}  // namespace

fetch_session_cache::context fetch_session_cache::begin(std::int32_t session_id, std::int32_t epoch,
                                                        bool uses_topic_ids,
                                                        std::vector<fetch_session_partition> requested,
                                                        const std::vector<fetch_partition_key>& forgotten) {
  context ctx;
  if (epoch == final_epoch || epoch == initial_epoch) {
    // A full fetch: closes the named session, if any; epoch 0 asks for a new one.
    std::lock_guard lock(_mutex);
    if (session_id != 0) _sessions.erase(session_id);
    ctx.type = epoch == initial_epoch ? kind::full : kind::sessionless;
    ctx.partitions = std::move(requested);
    return ctx;
  }
  std::lock_guard lock(_mutex);
  auto it = _sessions.find(session_id);
  if (session_id == 0 || it == _sessions.end()) {
    ctx.error = protocol::error_code::fetch_session_id_not_found;
    return ctx;
  }
  auto& s = it->second;
  if (s.epoch != epoch) {
    ctx.error = protocol::error_code::invalid_fetch_session_epoch;
    return ctx;
  }
  if (s.uses_topic_ids != uses_topic_ids) {
    ctx.error = protocol::error_code::fetch_session_topic_id_error;
    return ctx;
  }
  // Kafka's FetchSession.update: new partitions are added (never told anything yet), known ones
  // take the new position and keep what was last sent; forgotten ones go.
  for (auto& p : requested) {
    auto known = find(s.partitions, p.key);
    if (known == s.partitions.end()) {
      s.partitions.push_back(std::move(p));
    } else {
      known->fetch_offset = p.fetch_offset;
      known->max_bytes = p.max_bytes;
      known->current_leader_epoch = p.current_leader_epoch;
    }
  }
  for (const auto& key : forgotten) {
    auto known = find(s.partitions, key);
    if (known != s.partitions.end()) s.partitions.erase(known);
  }
  s.epoch = next_epoch(epoch);
  s.last_used = clock::now();
  ctx.type = kind::incremental;
  ctx.session_id = session_id;
  ctx.partitions = s.partitions;
  return ctx;
}

std::int32_t fetch_session_cache::create(bool uses_topic_ids, std::vector<fetch_session_partition> partitions) {
  std::lock_guard lock(_mutex);
  const auto now = clock::now();
  if (_opts.max_sessions == 0) return 0;
  if (_sessions.size() >= _opts.max_sessions) {
    auto lru = std::min_element(_sessions.begin(), _sessions.end(), [](const auto& a, const auto& b) {
      return a.second.last_used < b.second.last_used;
    });
    if (now - lru->second.last_used < _opts.eviction_idle) return 0;
    _sessions.erase(lru);
  }
  std::uniform_int_distribution<std::int32_t> ids(1, std::numeric_limits<std::int32_t>::max());
  std::int32_t id = ids(_random);
  while (_sessions.contains(id)) id = ids(_random);
  auto& s = _sessions[id];
  s.epoch = next_epoch(initial_epoch);
  s.uses_topic_ids = uses_topic_ids;
  s.partitions = std::move(partitions);
  s.last_used = now;
  return id;
}

std::vector<bool> fetch_session_cache::select(std::int32_t session_id, const std::vector<fetch_partition_key>& keys,
                                              const std::vector<fetch_partition_outcome>& outcomes) {
  std::vector<bool> include(keys.size(), true);
  std::lock_guard lock(_mutex);
  auto it = _sessions.find(session_id);
  if (it == _sessions.end()) return include;
  auto& partitions = it->second.partitions;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    // Usually the session's partitions are still the context's, in the same order.
    auto cached = i < partitions.size() && partitions[i].key == keys[i] ? partitions.begin() + static_cast<std::ptrdiff_t>(i)
                                                                      : find(partitions, keys[i]);
    if (cached == partitions.end()) continue;  // forgotten meanwhile: send it anyway
    // Kafka's CachedPartition.maybeUpdateResponseData.
    const auto& o = outcomes[i];
    bool must_respond = o.has_records;
    if (cached->high_watermark != o.high_watermark) {
      must_respond = true;
      cached->high_watermark = o.high_watermark;
    }
    if (cached->log_start_offset != o.log_start_offset) {
      must_respond = true;
      cached->log_start_offset = o.log_start_offset;
    }
    if (o.error_code != 0) {
      // Re-sent once the error goes away.
      cached->high_watermark = -1;
      must_respond = true;
    }
    include[i] = must_respond;
  }
  return include;
}

std::size_t fetch_session_cache::size() const {
  std::lock_guard lock(_mutex);
  return _sessions.size();
}

}  // namespace spate::broker
