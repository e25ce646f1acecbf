#include "broker/handlers/fetch/partition_reads.h"

#include <algorithm>
#include <array>
#include <limits>
#include <map>

#include "broker/error_mapping.h"
#include "broker/handlers/fetch/read_buffers.h"
#include "broker/leader_epoch.h"
#include "model/record_batch.h"

namespace spate::broker::fetch {
namespace {

using protocol::error_code;
constexpr std::int8_t read_committed = 1;

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
  // The records are copied once on their way to the socket: from the segment (pread) into a
  // pooled read buffer, which the response shares and net/ writes from (records::share; pread
  // measured faster than sendfile here, bench/RESULTS.md "sendfile vs copy").
  const bool copy = max_bytes > 0 || min_one;
  auto buffer = copy ? take_read_buffer() : nullptr;
  auto read = log.read(t.wanted->fetch_offset, max_bytes, committed ? lso : hw, buffer.get());
  if (!read) {
    set_error(out, to_wire(read.error()));
    return;
  }
  out.high_watermark = hw;
  out.last_stable_offset = lso;
  out.log_start_offset = read->log_start_offset;
  std::size_t size = copy ? read->records.size() : 0;
  if (!min_one && size > max_bytes) {
    // Kafka without minOneMessage: nothing (v3+), or the bytes that fit — a partial batch the
    // client reports as too large (v0-v2).
    size = truncate_partial ? max_bytes : 0;
  }
  // An empty read gives its buffer straight back.
  auto& records = size > 0 ? out.records.emplace(protocol::records::share(buffer, read->records.first(size)))
                           : out.records.emplace();
  if (committed && out.aborted_transactions && !records.empty()) {
    for (const auto& a : log.aborted_transactions(t.wanted->fetch_offset, read->next_offset)) {
      auto& txn = out.aborted_transactions->emplace_back();
      txn.producer_id = a.producer_id;
      txn.first_offset = a.first_offset;
    }
  }
}

}  // namespace

std::vector<target> resolve(const broker& services, const std::vector<fetch_session_partition>& partitions,
                            bool uses_topic_ids) {
  std::map<model::topic_id, std::string> names_by_id;
  if (uses_topic_ids) {
    for (auto& topic : services.logs().list_topics()) names_by_id.emplace(topic.id, topic.name);
  }
  std::vector<target> out;
  out.reserve(partitions.size());
  for (const auto& p : partitions) {
    auto& t = out.emplace_back();
    t.wanted = &p;
    if (uses_topic_ids) {
      auto it = names_by_id.find(p.key.topic_id);
      if (it == names_by_id.end()) {
        t.error = error_code::unknown_topic_id;
        continue;
      }
      t.topic = it->second;
    } else {
      t.topic = p.key.topic;
    }
    t.log = services.logs().get(t.topic, p.key.partition);
    if (!t.log) {
      t.error = error_code::unknown_topic_or_partition;
      continue;
    }
    t.error = check_current_leader_epoch(p.current_leader_epoch);
    // A failed log is being recovered in the background: the client retries (Kafka answers an
    // offline log directory the same way).
    if (t.error == error_code::none && t.log->failed()) t.error = error_code::kafka_storage_error;
  }
  return out;
}

void count_traffic(const std::vector<target>& targets, const std::vector<partition_data>& parts) {
  for (std::size_t i = 0; i < targets.size() && i < parts.size(); ++i) {
    const auto& records = parts[i].records;
    if (!targets[i].log || parts[i].error_code != 0 || !records || records->empty()) continue;
    // Whole batches only: a fetch may end with a partial batch, which the client discards.
    std::uint64_t count = 0;
    namespace layout = model::batch_layout;
    for (std::size_t at = 0; at + layout::header_size <= records->size();) {
      const auto length = base::load_be<std::int32_t>(records->data() + at + layout::batch_length);
      const std::size_t size = layout::log_overhead + static_cast<std::size_t>(std::max(0, length));
      if (length <= 0 || at + size > records->size()) break;
      count += static_cast<std::uint64_t>(
          std::max(0, base::load_be<std::int32_t>(records->data() + at + layout::record_count)));
      at += size;
    }
    auto& traffic = targets[i].log->traffic();
    traffic.bytes_out.fetch_add(records->size(), std::memory_order_relaxed);
    traffic.records_out.fetch_add(count, std::memory_order_relaxed);
  }
}

read_totals read_all(const std::vector<target>& targets, const fetch_handler::request& req, std::int16_t version,
                     std::vector<partition_data>& out) {
  read_totals totals;
  const bool hard_limit = version <= 2;
  std::size_t limit =
      hard_limit ? std::numeric_limits<std::size_t>::max() : static_cast<std::size_t>(std::max(0, req.max_bytes));
  bool min_one = !hard_limit;
  out.assign(targets.size(), partition_data{});
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const auto& t = targets[i];
    auto& part = out[i];
    part.partition_index = t.wanted->key.partition;
    if (version >= 4) {
      part.aborted_transactions =
          req.isolation_level == read_committed
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

}  // namespace spate::broker::fetch
