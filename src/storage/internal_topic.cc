#include "storage/internal_topic.h"

#include <utility>

#include "base/log.h"
#include "io/clock.h"
#include "model/record.h"
#include "model/record_batch.h"
#include "model/record_batch_builder.h"
#include "storage/log_manager.h"
#include "storage/partition_log.h"

namespace spate::storage {
namespace {

// Bytes asked of one partition_log::read during replay (a larger batch still comes whole).
constexpr std::size_t replay_read_bytes = 1 << 20;
// Bound on a batch's records after decompression during replay.
constexpr std::size_t replay_max_uncompressed = 128u << 20;

}  // namespace

// What replay() skipped, for its one warning.
struct internal_topic::skipped {
  std::uint64_t records = 0;  // rejected by the visitor
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

internal_topic::internal_topic(log_manager& logs, std::string name, std::string event_prefix,
                               std::int32_t partitions, io::clock& clock)
    : _logs(logs), _name(std::move(name)), _event_prefix(std::move(event_prefix)), _partitions(partitions),
      _clock(clock) {}

result<internal_topic> internal_topic::open(log_manager& logs, options opts, io::clock& clock) {
  auto existing = logs.find_topic(opts.name);
  if (!existing) {
    auto created = logs.create_topic(opts.name, opts.partitions, opts.configs);
    if (created) {
      // log_manager has logged event=topic_created.
      return internal_topic(logs, std::move(opts.name), std::move(opts.event_prefix), created->partitions, clock);
    }
    if (created.error() != errc::topic_exists) return base::failure(created.error());
    existing = logs.find_topic(opts.name);  // created meanwhile by someone else
    if (!existing) return base::failure(errc::unknown_topic_or_partition);
  }
  if (existing->partitions != opts.partitions) {
    SPATE_LOG_WARN("event={}_topic_partition_mismatch topic={} partitions={} configured={} "
                   "note=\"the existing partition count is used; placement depends on it\"",
                   opts.event_prefix, opts.name, existing->partitions, opts.partitions);
  }
  return internal_topic(logs, std::move(opts.name), std::move(opts.event_prefix), existing->partitions, clock);
}

void internal_topic::append(std::int32_t partition, std::span<const internal_record> records,
                            std::optional<internal_producer> producer, append_callback done) const {
  if (partition < 0 || partition >= _partitions) {
    done(errc::unknown_topic_or_partition, -1);
    return;
  }
  if (records.empty()) {
    done(errc::success, -1);
    return;
  }
  auto log = _logs.get(_name, partition);
  if (!log) {
    done(errc::unknown_topic_or_partition, -1);
    return;
  }
  const std::int64_t now = _clock.now_ms();
  model::record_batch_builder builder(model::compression_type::none, 0);
  if (producer) {
    // One batch per write: sequences mean nothing here (coordinator-origin batches skip the
    // sequence checks), so every batch starts at 0 as Kafka's coordinator writes it.
    builder.set_producer(producer->producer_id, producer->producer_epoch, 0).set_transactional();
  }
  for (const auto& r : records) {
    std::optional<base::byte_span> value;
    if (r.value) value = base::byte_span(*r.value);
    builder.append(now, base::byte_span(r.key), value);
  }
  base::byte_buffer batch = builder.build();
  auto appended = log->append(batch, producer ? append_origin::coordinator : append_origin::client);
  if (!appended) {
    done(appended.error(), -1);
    return;
  }
  const std::int64_t first_offset = appended->base_offset;
  log->on_durable(appended->last_offset, [done = std::move(done), first_offset](errc e) {
    done(e, e == errc::success ? first_offset : -1);
  });
}

result<void> internal_topic::replay(control_batches control, const record_visitor& visit) const {
  skipped skips;
  for (std::int32_t p = 0; p < _partitions; ++p) {
    auto log = _logs.get(_name, p);
    if (!log) return base::failure(errc::unknown_topic_or_partition);
    if (auto r = replay_partition(p, *log, control, visit, skips); !r) return r;
  }
  if (skips.records > 0 || skips.batches > 0) {
    SPATE_LOG_WARN("event={}_replay_skipped topic={} records={} batches={} first_partition={} first_offset={}",
                   _event_prefix, _name, skips.records, skips.batches, skips.first_partition, skips.first_offset);
  }
  return {};
}

result<void> internal_topic::replay_partition(std::int32_t partition, const partition_log& log,
                                              control_batches control, const record_visitor& visit,
                                              skipped& skips) const {
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
      SPATE_LOG_ERROR("event={}_replay_stuck topic={} partition={} offset={} high_watermark={}", _event_prefix,
                      _name, partition, next, high_watermark);
      return base::failure(errc::corrupt_log);
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
      if (view->is_control() && control == control_batches::skip) continue;
      auto decoded = model::decode_records(*view, replay_max_uncompressed);
      if (!decoded) {
        skips.batch(partition, view->base_offset());
        continue;
      }
      for (const auto& rec : *decoded) {
        // DeleteRecords may have put the log start inside a batch.
        if (rec.offset < start || rec.offset >= high_watermark) continue;
        if (!visit(partition, *view, rec)) skips.record(partition, rec.offset);
      }
    }
    next = read->next_offset;
  }
  return {};
}

}  // namespace spate::storage
