#include "group/offsets_topic.h"

#include <string>

#include "base/log.h"
#include "group/offsets_records.h"
#include "io/clock.h"
#include "model/record.h"
#include "model/record_batch.h"
#include "model/record_batch_builder.h"
#include "storage/log_manager.h"

namespace spate::group {
namespace {

const std::string topic_name(offsets_topic_name);

// Bytes asked of one partition_log::read during replay (a larger batch still comes whole).
constexpr std::size_t replay_read_bytes = 1 << 20;
// Bound on a batch's records after decompression during replay.
constexpr std::size_t replay_max_uncompressed = 128u << 20;

// What replay() skipped, for its one warning.
struct skip_counts {
  std::uint64_t records = 0;  // null or undecodable keys
  std::uint64_t batches = 0;  // bad CRC or undecodable records
  std::int32_t first_partition = -1;
  std::int64_t first_offset = -1;

  void note(std::int32_t partition, std::int64_t offset) {
    if (first_partition < 0) {
      first_partition = partition;
      first_offset = offset;
    }
  }
};

}  // namespace

storage::result<std::unique_ptr<offsets_topic>> offsets_topic::open(storage::log_manager& logs,
                                                                    std::int32_t partitions,
                                                                    io::clock& clock) {
  auto existing = logs.find_topic(topic_name);
  if (!existing) {
    const storage::config_overrides configs{
        {"cleanup.policy", "compact"},
        {"segment.bytes", std::to_string(offsets_topic_segment_bytes)},
    };
    auto created = logs.create_topic(topic_name, partitions, configs);
    if (created) {
      SPATE_LOG_INFO("event=offsets_topic_created topic={} partitions={}", topic_name,
                     created->partitions);
      return std::unique_ptr<offsets_topic>(new offsets_topic(logs, created->partitions, clock));
    }
    if (created.error() != storage::errc::topic_exists) return base::failure(created.error());
    existing = logs.find_topic(topic_name);  // created meanwhile by someone else
    if (!existing) return base::failure(storage::errc::unknown_topic_or_partition);
  }
  if (existing->partitions != partitions) {
    SPATE_LOG_WARN("event=offsets_topic_partition_mismatch topic={} partitions={} configured={} "
                   "note=\"the existing partition count is used; group placement depends on it\"",
                   topic_name, existing->partitions, partitions);
  }
  return std::unique_ptr<offsets_topic>(new offsets_topic(logs, existing->partitions, clock));
}

void offsets_topic::append(std::int32_t partition, std::vector<offsets_record> records,
                           std::optional<transactional_producer> producer, append_callback done) {
  if (partition < 0 || partition >= _partitions) {
    done(storage::errc::unknown_topic_or_partition, -1);
    return;
  }
  if (records.empty()) {
    done(storage::errc::success, -1);
    return;
  }
  auto log = _logs.get(topic_name, partition);
  if (!log) {
    done(storage::errc::unknown_topic_or_partition, -1);
    return;
  }
  const std::int64_t now = _clock.now_ms();
  model::record_batch_builder builder(model::compression_type::none, 0);
  if (producer) {
    // One batch per TxnOffsetCommit: sequences mean nothing here (coordinator-origin batches skip
    // the sequence checks), so every batch starts at 0 as Kafka's coordinator writes it.
    builder.set_producer(producer->producer_id, producer->producer_epoch, 0).set_transactional();
  }
  for (const auto& r : records) {
    std::optional<base::byte_span> value;
    if (r.value) value = base::byte_span(*r.value);
    builder.append(now, base::byte_span(r.key), value);
  }
  base::byte_buffer batch = builder.build();
  auto appended = producer ? log->append(batch, storage::append_origin::coordinator) : log->append(batch);
  if (!appended) {
    done(appended.error(), -1);
    return;
  }
  const std::int64_t first_offset = appended->base_offset;
  log->on_durable(appended->last_offset, [done = std::move(done), first_offset](storage::errc e) {
    done(e, e == storage::errc::success ? first_offset : -1);
  });
}

namespace {

// A transaction marker's key: version int16 (>= 0), type int16 (0 abort, 1 commit). nullopt for
// a malformed key; the type otherwise (other types are other control records).
std::optional<std::int16_t> control_type(const std::optional<base::byte_buffer>& key) {
  if (!key || key->size() < 4) return std::nullopt;
  if (base::load_be<std::int16_t>(key->data()) < 0) return std::nullopt;
  return base::load_be<std::int16_t>(key->data() + 2);
}

}  // namespace

storage::result<void> offsets_topic::replay(
    const std::function<void(const replayed&)>& visit) const {
  skip_counts skipped;
  base::byte_buffer buffer;
  for (std::int32_t p = 0; p < _partitions; ++p) {
    auto log = _logs.get(topic_name, p);
    if (!log) return base::failure(storage::errc::unknown_topic_or_partition);
    const std::int64_t start = log->log_start_offset();
    const std::int64_t high_watermark = log->high_watermark();
    std::int64_t next = start;
    while (next < high_watermark) {
      auto read = log->read(next, replay_read_bytes, high_watermark, &buffer);
      if (!read) return base::failure(read.error());
      // Below the high watermark a read returns at least one batch (the high watermark is at a
      // batch boundary); anything else would loop forever.
      if (read->records.empty() || read->next_offset <= next) {
        SPATE_LOG_ERROR("event=offsets_replay_stuck topic={} partition={} offset={} "
                        "high_watermark={}",
                        topic_name, p, next, high_watermark);
        return base::failure(storage::errc::corrupt_log);
      }
      model::batch_splitter splitter(read->records);
      for (;;) {
        auto bytes = splitter.next();
        if (!bytes) {  // a corrupt header: the rest of this read cannot be framed
          ++skipped.batches;
          skipped.note(p, next);
          break;
        }
        if (bytes->empty()) break;
        auto view = model::validate_batch(*bytes, model::validation_level::stored);
        if (!view) {
          auto header = model::parse_batch_header(*bytes);
          ++skipped.batches;
          skipped.note(p, header ? header->base_offset : next);
          continue;
        }
        auto decoded = model::decode_records(*view, replay_max_uncompressed);
        if (!decoded) {
          ++skipped.batches;
          skipped.note(p, view->base_offset());
          continue;
        }
        for (const auto& rec : *decoded) {
          // DeleteRecords may have put the log start inside a batch.
          if (rec.offset < start || rec.offset >= high_watermark) continue;
          if (view->is_control()) {
            const auto type = control_type(rec.key);
            if (!type) {
              ++skipped.records;
              skipped.note(p, rec.offset);
              continue;
            }
            const auto marker = static_cast<model::control_record_type>(*type);
            if (marker != model::control_record_type::abort && marker != model::control_record_type::commit) continue;
            replayed r;
            r.partition = p;
            r.offset = rec.offset;
            r.timestamp = rec.timestamp;
            r.transactional = view->is_transactional();
            r.producer_id = view->producer_id();
            r.marker_commit = marker == model::control_record_type::commit;
            visit(r);
            continue;
          }
          if (!rec.key || !decode_key(*rec.key)) {
            ++skipped.records;
            skipped.note(p, rec.offset);
            continue;
          }
          replayed r;
          r.partition = p;
          r.offset = rec.offset;
          r.timestamp = rec.timestamp;
          r.key = base::byte_span(*rec.key);
          if (rec.value) r.value = base::byte_span(*rec.value);
          r.transactional = view->is_transactional();
          r.producer_id = view->producer_id();
          visit(r);
        }
      }
      next = read->next_offset;
    }
  }
  if (skipped.records > 0 || skipped.batches > 0) {
    SPATE_LOG_WARN("event=offsets_replay_skipped topic={} records={} batches={} "
                   "first_partition={} first_offset={}",
                   topic_name, skipped.records, skipped.batches, skipped.first_partition,
                   skipped.first_offset);
  }
  return {};
}

}  // namespace spate::group
