#include "txn/api_errors.h"

namespace spate::txn {

using protocol::api_key;
using protocol::error_code;

error_code response_error(api_key api, std::int16_t version, error_code e) {
  switch (api) {
    case api_key::init_producer_id:
      if (version < 4 && e == error_code::producer_fenced) return error_code::invalid_producer_epoch;
      break;
    case api_key::add_partitions_to_txn:
    case api_key::add_offsets_to_txn:
    case api_key::end_txn:
      if (version < 2 && e == error_code::producer_fenced) return error_code::invalid_producer_epoch;
      break;
    case api_key::txn_offset_commit:
      if (e == error_code::producer_fenced) return error_code::invalid_producer_epoch;
      if (version < 2 && e == error_code::coordinator_load_in_progress) return error_code::coordinator_not_available;
      break;
    default: break;
  }
  return e;
}

std::vector<error_code> not_attempted_except_failed(std::vector<error_code> precheck) {
  for (auto& e : precheck) {
    if (e == error_code::none) e = error_code::operation_not_attempted;
  }
  return precheck;
}

}  // namespace spate::txn
