#include "txn/epoch_bump.h"

namespace spate::txn {

bool is_valid_producer_id(const transaction_metadata& m, std::int64_t requested_id, std::int16_t requested_epoch) {
  return m.producer_epoch == no_producer_epoch || requested_id == m.producer_id ||
         (requested_id == m.last_producer_id && is_epoch_exhausted(requested_epoch));
}

epoch_bump next_epoch(const transaction_metadata& m, bool has_producer_id, std::int16_t requested_epoch) {
  const std::int16_t last = has_producer_id ? m.producer_epoch : no_producer_epoch;
  const bool expected_current = !has_producer_id || requested_epoch == m.producer_epoch;
  if (is_epoch_exhausted(m.producer_epoch) && expected_current) {
    return {epoch_bump_kind::rotate_producer_id, 0, last};
  }
  if (has_producer_id && m.producer_epoch != no_producer_epoch && requested_epoch == m.last_producer_epoch) {
    // KIP-360: a retry of a bump that succeeded; the same answer again.
    return {epoch_bump_kind::repeat, m.producer_epoch, m.last_producer_epoch};
  }
  if (!is_epoch_exhausted(m.producer_epoch) && (expected_current || m.producer_epoch == no_producer_epoch)) {
    return {epoch_bump_kind::bump, static_cast<std::int16_t>(m.producer_epoch + 1), last};
  }
  return {};
}

}  // namespace spate::txn
