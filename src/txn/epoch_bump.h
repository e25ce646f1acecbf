#pragma once
// InitProducerId for a transactional id with no transaction open (Empty, CompleteCommit,
// CompleteAbort): which producer id and epoch to hand out. Kafka's
// TransactionMetadata.prepareIncrementProducerEpoch and prepareProducerIdRotation, with the
// KIP-360 checks of TransactionCoordinator.handleInitProducerId. The caller has already checked
// that a given producer id is valid (is_valid_producer_id). Pure, thread-safe.
#include <cstdint>

#include "txn/transaction_state.h"

namespace spate::txn {

enum class epoch_bump_kind : std::uint8_t {
  bump,                // the same producer id, epoch + 1
  rotate_producer_id,  // the epoch is exhausted: a new producer id at epoch 0
  repeat,              // a retry of a bump that succeeded: the current id and epoch again
  fenced,              // the request names an epoch older than the current one: PRODUCER_FENCED
};

struct epoch_bump {
  epoch_bump_kind kind = epoch_bump_kind::fenced;
  // The epoch to hand out and the previous epoch to remember with it (no_producer_epoch when the
  // request named no producer id); unused when fenced.
  std::int16_t producer_epoch = no_producer_epoch;
  std::int16_t last_producer_epoch = no_producer_epoch;
  friend bool operator==(const epoch_bump&, const epoch_bump&) = default;
};

// Kafka's isValidProducerId, for a request naming a producer id (KIP-360): a just-created id, the
// current producer id, or the previous one when its epoch was exhausted (a retry of the rotation
// whose answer was lost). Otherwise the producer is fenced.
bool is_valid_producer_id(const transaction_metadata& current, std::int64_t requested_id, std::int16_t requested_epoch);

// `current`: the id's state. `requested_epoch`: the request's producer epoch when
// `has_producer_id` (KIP-360), ignored otherwise.
epoch_bump next_epoch(const transaction_metadata& current, bool has_producer_id, std::int16_t requested_epoch);

}  // namespace spate::txn
