#include "group/offsets_topic.h"

#include <string>

#include "group/offsets_records.h"
#include "model/record.h"
#include "model/record_batch.h"
#include "model/record_batch_builder.h"
#include "model/topic_name.h"

namespace spate::group {
namespace {

// A transaction marker's key: version int16 (>= 0), type int16 (0 abort, 1 commit). nullopt for
// a malformed key; the type otherwise (other types are other control records).
std::optional<std::int16_t> control_type(const std::optional<base::byte_buffer>& key) {
  if (!key || key->size() < 4) return std::nullopt;
  if (base::load_be<std::int16_t>(key->data()) < 0) return std::nullopt;
  return base::load_be<std::int16_t>(key->data() + 2);
}

}  // namespace

storage::result<std::unique_ptr<offsets_topic>> offsets_topic::open(storage::log_manager& logs, std::int32_t partitions,
                                                                    io::clock& clock, std::int32_t segment_bytes) {
  auto topic = storage::internal_topic::open(
      logs,
      {.name = std::string(model::consumer_offsets_topic),
       .event_prefix = "offsets",
       .partitions = partitions,
       .configs = {{"cleanup.policy", "compact"}, {"segment.bytes", std::to_string(segment_bytes)}}},
      clock);
  if (!topic) return base::failure(topic.error());
  return std::unique_ptr<offsets_topic>(new offsets_topic(std::move(topic.value())));
}

void offsets_topic::append(std::int32_t partition, std::vector<offsets_record> records,
                           std::optional<transactional_producer> producer, append_callback done) {
  std::optional<storage::internal_producer> batch_producer;
  if (producer) batch_producer = storage::internal_producer{producer->producer_id, producer->producer_epoch};
  _topic.append(partition, records, batch_producer, std::move(done));
}

storage::result<void> offsets_topic::replay(const std::function<void(const replayed&)>& visit) const {
  return _topic.replay(
      storage::internal_topic::control_batches::visit,
      [&visit](std::int32_t partition, const model::record_batch_view& batch, const model::record& rec) {
        replayed r;
        r.partition = partition;
        r.offset = rec.offset;
        r.timestamp = rec.timestamp;
        r.transactional = batch.is_transactional();
        r.producer_id = batch.producer_id();
        if (batch.is_control()) {
          const auto type = control_type(rec.key);
          if (!type) return false;
          const auto marker = static_cast<model::control_record_type>(*type);
          if (marker != model::control_record_type::abort && marker != model::control_record_type::commit) {
            return true;  // another control record: not ours, not an error
          }
          r.marker_commit = marker == model::control_record_type::commit;
          visit(r);
          return true;
        }
        if (!rec.key || !decode_key(*rec.key)) return false;
        r.key = base::byte_span(*rec.key);
        if (rec.value) r.value = base::byte_span(*rec.value);
        visit(r);
        return true;
      });
}

}  // namespace spate::group
