#include "txn/transaction_topic.h"

#include <string>

#include "base/log.h"
#include "io/clock.h"
#include "model/record.h"
#include "model/record_batch.h"
#include "model/record_batch_builder.h"
#include "storage/log_manager.h"
#include "txn/transaction_records.h"

namespace spate::txn {
namespace {

const std::string topic_name(transaction_topic_name);

// Bytes asked of one partition_log::read during replay (a larger batch still comes whole).
constexpr std::size_t replay_read_bytes = 1 << 20;
// Bound on a batch's records after decompression during replay.
constexpr std::size_t replay_max_uncompressed = 128u << 20;

}  // namespace

// What replay() skipped, for its one warning.
struct transaction_topic::skipped {
  std::uint64_t records = 0;  // null or undecodable keys
  std::uint64_t batches = 0;  // bad CRC, bad framing or undecodable records
  std::int32_t first_partition = -1;
  std::int64_t first_offset = -1;

  void record(std::int32_t partition, std::int64_t offset) {
    ++records;
    note(partition, offset);
  }
  void batch(std::int32_t partition, std::int64_t offset) {
    ++batches;
    note(partition, offset);
  }

 private:
  void note(std::int32_t partition, std::int64_t offset) {
    if (first_partition >= 0) return;
    first_partition = partition;
    first_offset = offset;
  }
};

storage::result<std::unique_ptr<transaction_topic>> transaction_topic::open(
    storage::log_manager& logs, std::int32_t partitions, io::clock& clock) {
  auto existing = logs.find_topic(topic_name);
  if (!existing) {
    const storage::config_overrides configs{
        {"cleanup.policy", "compact"},
        {"segment.bytes", std::to_string(transaction_topic_segment_bytes)},
    };
    auto created = logs.create_topic(topic_name, partitions, configs);
    if (created) {
      SPATE_LOG_INFO("event=transaction_topic_created topic={} partitions={}", topic_name,
                     created->partitions);
      return std::unique_ptr<transaction_topic>(
          new transaction_topic(logs, created->partitions, clock));
    }
    if (created.error() != storage::errc::topic_exists) return base::failure(created.error());
    existing = logs.find_topic(topic_name);  // created meanwhile by someone else
    if (!existing) return base::failure(storage::errc::unknown_topic_or_partition);
  }
  if (existing->partitions != partitions) {
    SPATE_LOG_WARN("event=transaction_topic_partition_mismatch topic={} partitions={} configured={} "
                   "note=\"the existing partition count is used; placement depends on it\"",
                   topic_name, existing->partitions, partitions);
  }
  return std::unique_ptr<transaction_topic>(
      new transaction_topic(logs, existing->partitions, clock));
}

void transaction_topic::append(std::int32_t partition, std::vector<transaction_record> records,
                               std::function<void(storage::errc)> done) {
  if (partition < 0 || partition >= _partitions) {
    done(storage::errc::unknown_topic_or_partition);
    return;
  }
  if (records.empty()) {
    done(storage::errc::success);
    return;
  }
  auto log = _logs.get(topic_name, partition);
  if (!log) {
    done(storage::errc::unknown_topic_or_partition);
    return;
  }
  const std::int64_t now = _clock.now_ms();
  model::record_batch_builder builder(model::compression_type::none, 0);
  for (const auto& r : records) {
    std::optional<base::byte_span> value;
    if (r.value) value = base::byte_span(*r.value);
    builder.append(now, base::byte_span(r.key), value);
  }
  base::byte_buffer batch = builder.build();
  auto appended = log->append(batch);
  if (!appended) {
    done(appended.error());
    return;
  }
  log->on_durable(appended->last_offset, std::move(done));
}

storage::result<void> transaction_topic::replay(
    const std::function<void(const replayed&)>& visit) const {
  skipped skips;
  for (std::int32_t p = 0; p < _partitions; ++p) {
    auto log = _logs.get(topic_name, p);
    if (!log) return base::failure(storage::errc::unknown_topic_or_partition);
    if (auto r = replay_partition(p, *log, visit, skips); !r) return r;
  }
  if (skips.records > 0 || skips.batches > 0) {
    SPATE_LOG_WARN("event=transaction_replay_skipped topic={} records={} batches={} "
                   "first_partition={} first_offset={}",
                   topic_name, skips.records, skips.batches, skips.first_partition,
                   skips.first_offset);
  }
  return {};
}

storage::result<void> transaction_topic::replay_partition(
    std::int32_t partition, const storage::partition_log& log,
    const std::function<void(const replayed&)>& visit, skipped& skips) const {
  base::byte_buffer buffer;
  const std::int64_t start = log.log_start_offset();
  const std::int64_t high_watermark = log.high_watermark();
  std::int64_t next = start;
  while (next < high_watermark) {
    auto read = log.read(next, replay_read_bytes, high_watermark, &buffer);
    if (!read) return base::failure(read.error());
    // Below the high watermark a read returns at least one batch (the high watermark is at a
    // batch boundary); anything else would loop forever.
    if (read->records.empty() || read->next_offset <= next) {
      SPATE_LOG_ERROR("event=transaction_replay_stuck topic={} partition={} offset={} "
                      "high_watermark={}",
                      topic_name, partition, next, high_watermark);
      return base::failure(storage::errc::corrupt_log);
    }
    model::batch_splitter splitter(read->records);
    for (;;) {
      auto bytes = splitter.next();
      if (!bytes) {  // a corrupt header: the rest of this read cannot be framed
        skips.batch(partition, next);
        break;
      }
      if (bytes->empty()) break;
      auto view = model::validate_batch(*bytes, model::validation_level::stored);
      if (!view) {
        auto header = model::parse_batch_header(*bytes);
        skips.batch(partition, header ? header->base_offset : next);
        continue;
      }
      if (view->is_control()) continue;
      auto decoded = model::decode_records(*view, replay_max_uncompressed);
      if (!decoded) {
        skips.batch(partition, view->base_offset());
        continue;
      }
      for (const auto& rec : *decoded) {
        // DeleteRecords may have put the log start inside a batch.
        if (rec.offset < start || rec.offset >= high_watermark) continue;
        if (!rec.key || !decode_key(*rec.key)) {
          skips.record(partition, rec.offset);
          continue;
        }
        replayed r;
        r.partition = partition;
        r.offset = rec.offset;
        r.timestamp = rec.timestamp;
        r.key = base::byte_span(*rec.key);
        if (rec.value) r.value = base::byte_span(*rec.value);
        visit(r);
      }
    }
    next = read->next_offset;
  }
  return {};
}

}  // namespace spate::txn
