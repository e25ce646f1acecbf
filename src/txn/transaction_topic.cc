#include "txn/transaction_topic.h"
#include "model/topic_name.h"

#include <string>

#include "model/record.h"
#include "txn/transaction_records.h"

namespace spate::txn {

storage::result<std::unique_ptr<transaction_topic>> transaction_topic::open(storage::log_manager& logs,
                                                                            std::int32_t partitions, io::clock& clock,
                                                                            std::int32_t segment_bytes) {
  auto topic = storage::internal_topic::open(
      logs,
      {.name = std::string(model::transaction_state_topic),
       .event_prefix = "transaction",
       .partitions = partitions,
       .configs = {{"cleanup.policy", "compact"}, {"segment.bytes", std::to_string(segment_bytes)}}},
      clock);
  if (!topic) return base::failure(topic.error());
  return std::unique_ptr<transaction_topic>(new transaction_topic(std::move(topic.value())));
}

void transaction_topic::append(std::int32_t partition, std::vector<transaction_record> records,
                               std::function<void(storage::errc)> done) {
  _topic.append(partition, records, std::nullopt,
                [done = std::move(done)](storage::errc e, std::int64_t /*first_offset*/) { done(e); });
}

storage::result<void> transaction_topic::replay(const std::function<void(const replayed&)>& visit) const {
  // Control batches (transaction markers of __transaction_state itself) carry nothing of ours.
  return _topic.replay(storage::internal_topic::control_batches::skip,
                       [&visit](std::int32_t partition, const model::record_batch_view& /*batch*/,
                                const model::record& rec) {
                         if (!rec.key || !decode_key(*rec.key)) return false;
                         replayed r;
                         r.partition = partition;
                         r.offset = rec.offset;
                         r.timestamp = rec.timestamp;
                         r.key = base::byte_span(*rec.key);
                         if (rec.value) r.value = base::byte_span(*rec.value);
                         visit(r);
                         return true;
                       });
}

}  // namespace spate::txn
