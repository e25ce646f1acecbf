#include "broker/handlers/fetch.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <memory>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "broker/broker.h"
#include "broker/error_mapping.h"
#include "broker/fetch_sessions.h"
#include "broker/leader_epoch.h"
#include "broker/partition_waiters.h"

namespace spate::broker {
namespace {

using protocol::error_code;
using partition_data = protocol::fetch_response::partition_data;
constexpr std::int8_t read_committed = 1;

// A partition to read, resolved to its log (or to the error answering it).
struct target {
  const fetch_session_partition* wanted;
  std::string topic;  // resolved name
  std::shared_ptr<storage::partition_log> log;
  error_code error = error_code::none;
};

void set_error(partition_data& out, error_code error) {
  out.error_code = wire_code(error);
  out.high_watermark = -1;
  out.last_stable_offset = -1;
  out.log_start_offset = -1;
  out.records.emplace();
}

// Reads one partition into `out`. `limit` is what is left of the response's max_bytes; with
// `min_one` the first batch comes back whole even when larger.
// read_committed consumers read below the last stable offset and learn which transactions in
// what they got were aborted.
void read_partition(const target& t, std::size_t limit, bool min_one, bool truncate_partial, bool committed,
                    partition_data& out) {
  auto& log = *t.log;
  const auto max_bytes = std::min<std::size_t>(static_cast<std::size_t>(std::max(0, t.wanted->max_bytes)), limit);
  // The stable offset first: it never exceeds the high watermark read after it.
  const auto lso = log.last_stable_offset();
  const auto hw = log.high_watermark();
  // The records are copied once, from the segment straight into the response's vector. Zero-copy
  // follow-up: let protocol::records hold a read_result (segment + file range) and have the
  // writer hand net/ a scatter list, so the bytes go from the page cache to the socket.
  auto& records = out.records.emplace();
  const bool copy = max_bytes > 0 || min_one;
  auto read = log.read(t.wanted->fetch_offset, max_bytes, committed ? lso : hw, copy ? &records : nullptr);
  if (!read) {
    set_error(out, to_wire(read.error()));
    return;
  }
  out.high_watermark = hw;
  out.last_stable_offset = lso;
  out.log_start_offset = read->log_start_offset;
  records.resize(copy ? read->records.size() : 0);
  if (!min_one && records.size() > max_bytes) {
    // Kafka without minOneMessage: nothing (v3+), or the bytes that fit — a partial batch the
    // client reports as too large (v0-v2).
    records.resize(truncate_partial ? max_bytes : 0);
  }
  if (committed && out.aborted_transactions && !records.empty()) {
    for (const auto& a : log.aborted_transactions(t.wanted->fetch_offset, read->next_offset)) {
      auto& txn = out.aborted_transactions->emplace_back();
      txn.producer_id = a.producer_id;
      txn.first_offset = a.first_offset;
    }
  }
}

struct read_totals {
  std::size_t bytes = 0;
  bool any_error = false;
};

read_totals read_all(const std::vector<target>& targets, const fetch_handler::request& req, std::int16_t version,
                     std::vector<partition_data>& out) {
  read_totals totals;
  const bool hard_limit = version <= 2;
  std::size_t limit = hard_limit ? std::numeric_limits<std::size_t>::max()
                                 : static_cast<std::size_t>(std::max(0, req.max_bytes));
  bool min_one = !hard_limit;
  out.assign(targets.size(), partition_data{});
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const auto& t = targets[i];
    auto& part = out[i];
    part.partition_index = t.wanted->key.partition;
    if (version >= 4) {
      part.aborted_transactions = req.isolation_level == read_committed
                                      ? std::optional<std::vector<protocol::fetch_response::aborted_transaction>>(std::in_place)
                                      : std::nullopt;
    }
    if (t.error != error_code::none) {
      set_error(part, t.error);
      totals.any_error = true;
      continue;
    }
    read_partition(t, limit, min_one, hard_limit, req.isolation_level == read_committed, part);
    if (part.error_code != 0) {
      totals.any_error = true;
      continue;
    }
    const auto n = part.records->size();
    if (n > 0) min_one = false;
    limit = n >= limit ? 0 : limit - n;
    totals.bytes += n;
  }
  return totals;
}

// A parked fetch: woken by appends (through partition_waiters) or by its timer. Touched only on the
// fetch's event loop.
struct long_poll {
  explicit long_poll(const boost::asio::any_io_executor& executor) : timer(executor) {}
  boost::asio::steady_timer timer;
  bool woken = false;
};

std::vector<fetch_session_partition> requested_partitions(const fetch_handler::request& req, bool uses_topic_ids) {
  std::vector<fetch_session_partition> out;
  for (const auto& topic : req.topics) {
    for (const auto& p : topic.partitions) {
      fetch_session_partition s;
      if (uses_topic_ids) {
        s.key.topic_id = topic.topic_id;
      } else {
        s.key.topic = topic.topic;
      }
      s.key.partition = p.partition;
      s.fetch_offset = p.fetch_offset;
      s.max_bytes = p.partition_max_bytes;
      s.current_leader_epoch = p.current_leader_epoch;
      out.push_back(std::move(s));
    }
  }
  return out;
}

std::vector<fetch_partition_key> forgotten_partitions(const fetch_handler::request& req, bool uses_topic_ids) {
  std::vector<fetch_partition_key> out;
  for (const auto& topic : req.forgotten_topics_data) {
    for (auto p : topic.partitions) {
      fetch_partition_key key;
      if (uses_topic_ids) {
        key.topic_id = topic.topic_id;
      } else {
        key.topic = topic.topic;
      }
      key.partition = p;
      out.push_back(std::move(key));
    }
  }
  return out;
}

std::vector<target> resolve(const broker& b, const std::vector<fetch_session_partition>& partitions,
                            bool uses_topic_ids) {
  std::map<std::array<std::uint8_t, 16>, std::string> names_by_id;
  if (uses_topic_ids) {
    for (auto& topic : b.logs().list_topics()) names_by_id.emplace(topic.id, topic.name);
  }
  std::vector<target> out;
  out.reserve(partitions.size());
  for (const auto& p : partitions) {
    auto& t = out.emplace_back();
    t.wanted = &p;
    if (uses_topic_ids) {
      auto it = names_by_id.find(p.key.topic_id.value);
      if (it == names_by_id.end()) {
        t.error = error_code::unknown_topic_id;
        continue;
      }
      t.topic = it->second;
    } else {
      t.topic = p.key.topic;
    }
    t.log = b.logs().get(t.topic, p.key.partition);
    if (!t.log) {
      t.error = error_code::unknown_topic_or_partition;
      continue;
    }
    t.error = check_current_leader_epoch(p.current_leader_epoch);
  }
  return out;
}

}  // namespace

boost::asio::awaitable<fetch_handler::response> fetch_handler::handle(request_context& ctx, request req) {
  auto& b = ctx.services;
  const auto version = ctx.api_version;
  const bool uses_topic_ids = version >= 13;
  response resp;

  auto requested = requested_partitions(req, uses_topic_ids);
  fetch_session_cache::context session;
  if (version >= 7) {
    session = b.fetch_sessions().begin(req.session_id, req.session_epoch, uses_topic_ids, std::move(requested),
                                       forgotten_partitions(req, uses_topic_ids));
    if (session.error != error_code::none) {
      resp.error_code = wire_code(session.error);
      co_return resp;
    }
  } else {
    session.partitions = std::move(requested);
  }

  const auto targets = resolve(b, session.partitions, uses_topic_ids);
  std::vector<partition_data> parts;
  auto totals = read_all(targets, req, version, parts);

  if (req.max_wait_ms > 0 && !targets.empty() && !totals.any_error &&
      totals.bytes < static_cast<std::size_t>(std::max(0, req.min_bytes))) {
    auto poll = std::make_shared<long_poll>(ctx.executor);
    std::vector<const storage::partition_log*> logs;
    for (const auto& t : targets) logs.push_back(t.log.get());
    auto wake = [weak = std::weak_ptr<long_poll>(poll), executor = ctx.executor] {
      boost::asio::post(executor, [weak] {
        if (auto p = weak.lock()) {
          p->woken = true;
          p->timer.cancel();
        }
      });
    };
    auto registration = b.waiters()->add(std::move(logs), std::move(wake));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(req.max_wait_ms);
    poll->timer.expires_at(deadline);
    for (;;) {
      // Read again: an append may have landed between the first read and the registration.
      totals = read_all(targets, req, version, parts);
      if (totals.any_error || totals.bytes >= static_cast<std::size_t>(req.min_bytes) ||
          std::chrono::steady_clock::now() >= deadline) {
        break;
      }
      if (!poll->woken) {
        boost::system::error_code ec;
        co_await poll->timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      }
      poll->woken = false;
    }
  }

  // Which partitions the response carries: all, except in an incremental session.
  std::vector<bool> include(targets.size(), true);
  if (session.type == fetch_session_cache::kind::incremental) {
    std::vector<fetch_partition_key> keys;
    std::vector<fetch_partition_outcome> outcomes;
    for (std::size_t i = 0; i < targets.size(); ++i) {
      keys.push_back(targets[i].wanted->key);
      outcomes.push_back({!parts[i].records->empty(), parts[i].error_code, parts[i].high_watermark,
                          parts[i].log_start_offset});
    }
    include = b.fetch_sessions().select(session.session_id, keys, outcomes);
    resp.session_id = session.session_id;
  } else if (session.type == fetch_session_cache::kind::full) {
    auto cached = session.partitions;
    for (std::size_t i = 0; i < cached.size(); ++i) {
      // Errors are re-sent once they go away (Kafka caches an invalid high watermark for them).
      cached[i].high_watermark = parts[i].error_code != 0 ? -1 : parts[i].high_watermark;
      cached[i].log_start_offset = parts[i].log_start_offset;
    }
    resp.session_id = b.fetch_sessions().create(uses_topic_ids, std::move(cached));
  }

  // Group by topic, in the order topics first appear.
  std::map<std::pair<std::string, std::array<std::uint8_t, 16>>, std::size_t> topic_index;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (!include[i]) continue;
    const auto& key = targets[i].wanted->key;
    const auto [it, added] = topic_index.try_emplace({key.topic, key.topic_id.value}, resp.responses.size());
    if (added) {
      auto& topic = resp.responses.emplace_back();
      topic.topic = uses_topic_ids ? targets[i].topic : key.topic;
      topic.topic_id = key.topic_id;
    }
    resp.responses[it->second].partitions.push_back(std::move(parts[i]));
  }
  co_return resp;
}

}  // namespace spate::broker
