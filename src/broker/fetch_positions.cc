// Consumers' fetch positions for the lag monitor (fetch_positions.h).
#include "broker/fetch_positions.h"

namespace spate::broker {

fetch_positions::fetch_positions(io::clock& clock, std::int64_t forget_after_ms)
    : _clock(clock), _forget_after_ms(forget_after_ms) {}

void fetch_positions::record(std::string_view client_id, std::string_view host, bool read_committed,
                             std::span<const fetched> partitions) {
  if (partitions.empty()) return;
  const auto now = _clock.now_ms();
  std::string key;
  key.reserve(client_id.size() + 1 + host.size());
  key.append(client_id).push_back('\0');
  key.append(host);
  auto& s = _shards[std::hash<std::string>{}(key) % shard_count];
  base::mutex_lock lock(s.mutex);
  if (now >= s.next_prune_ms) prune(s, now);
  auto [it, added] = s.clients.try_emplace(std::move(key));
  auto& c = it->second;
  if (added) {
    c.client_id = client_id;
    c.host = host;
  }
  c.last_ms = now;
  for (const auto& p : partitions) {
    if (p.partition < 0) continue;
    auto t = c.topics.find(p.topic);
    if (t == c.topics.end()) t = c.topics.emplace(std::string(p.topic), std::vector<position>{}).first;
    auto& slots = t->second;
    const auto i = static_cast<std::size_t>(p.partition);
    if (slots.size() <= i) slots.resize(i + 1);
    slots[i] = {p.offset, now, read_committed};
  }
}

void fetch_positions::prune(shard& s, std::int64_t now) {
  s.next_prune_ms = now + prune_interval_ms;
  const auto cutoff = now - _forget_after_ms;
  for (auto c = s.clients.begin(); c != s.clients.end();) {
    if (c->second.last_ms < cutoff) {
      c = s.clients.erase(c);
      continue;
    }
    auto& topics = c->second.topics;
    for (auto t = topics.begin(); t != topics.end();) {
      bool any = false;
      for (auto& p : t->second) {
        if (p.time_ms >= 0 && p.time_ms < cutoff) p = position{};
        any = any || p.time_ms >= 0;
      }
      t = any ? std::next(t) : topics.erase(t);
    }
    ++c;
  }
}

std::vector<fetch_position> fetch_positions::snapshot() {
  const auto now = _clock.now_ms();
  std::vector<fetch_position> out;
  for (auto& s : _shards) {
    base::mutex_lock lock(s.mutex);
    if (now >= s.next_prune_ms) prune(s, now);
    const auto cutoff = now - _forget_after_ms;
    for (const auto& [key, c] : s.clients) {
      for (const auto& [topic, slots] : c.topics) {
        for (std::size_t i = 0; i < slots.size(); ++i) {
          const auto& p = slots[i];
          if (p.time_ms < 0 || p.time_ms < cutoff) continue;
          out.push_back(
              {c.client_id, c.host, topic, static_cast<std::int32_t>(i), p.offset, p.time_ms, p.read_committed});
        }
      }
    }
  }
  return out;
}

std::size_t fetch_positions::client_count() const {
  std::size_t n = 0;
  for (const auto& s : _shards) {
    base::mutex_lock lock(s.mutex);
    n += s.clients.size();
  }
  return n;
}

}  // namespace spate::broker
