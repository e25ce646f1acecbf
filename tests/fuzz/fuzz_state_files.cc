// libFuzzer target: bytes read back from disk after a crash or by a foreign writer — producer-state
// snapshots, .txnindex files, __transaction_state records. Decoding must reject garbage with an
// error, never crash or over-read, and whatever a snapshot decoder accepts must re-encode to bytes
// it decodes to the same producers.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "storage/producer_state.h"
#include "storage/transaction_index.h"
#include "txn/transaction_records.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const spate::base::byte_span bytes(data, size);
  if (auto table = spate::storage::producer_state_table::decode_snapshot(bytes, 0)) {
    auto again = spate::storage::producer_state_table::decode_snapshot(table->encode_snapshot(), 0);
    if (!again || again->size() != table->size()) std::abort();
  }
  (void)spate::storage::decode_txn_index(bytes);
  (void)spate::txn::decode_key(bytes);
  (void)spate::txn::decode_value(bytes);
  return 0;
}
